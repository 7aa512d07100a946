using System.Data.Common;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// Keeps the planner statistics the search SQL relies on current as the data grows, without an
/// operator: counts committed versions and, once they have grown by <see cref="Growth"/> of what
/// the last refresh saw (and at least <see cref="Minimum"/>), refreshes them in the background,
/// one refresh at a time. Without this, SQLite plans a 10× larger database with the statistics
/// of the first thousand rows (or none), and PostgreSQL waits for autovacuum's next analyze.
/// The counter starts at 0 in each process: statistics already in the database (sqlite_stat1,
/// pg_statistic) stay valid across restarts.
/// </summary>
public sealed class StatisticsMaintainer(Func<CancellationToken, Task> refresh)
{
    private readonly object _gate = new();
    private long _written;
    private long _atLastRefresh;
    private Task _running = Task.CompletedTask;

    /// <summary>Versions committed before the first refresh.</summary>
    public long Minimum { get; init; } = 5_000;

    /// <summary>Growth since the last refresh (fraction of the versions counted then) that triggers the next.</summary>
    public double Growth { get; init; } = 0.25;

    /// <summary>Refreshes completed (failed ones included), for tests and diagnostics.</summary>
    public int Refreshes { get; private set; }

    /// <summary>Records committed versions; may start a background refresh.</summary>
    public void Committed(int versions)
    {
        if (versions <= 0)
        {
            return;
        }
        lock (_gate)
        {
            _written += versions;
            var due = _written - _atLastRefresh >= Math.Max(Minimum, (long)(_atLastRefresh * Growth));
            if (!due || !_running.IsCompleted)
            {
                return;
            }
            _atLastRefresh = _written;
            _running = Task.Run(RunAsync);
        }
    }

    /// <summary>Completes when no refresh is running (the store awaits it before closing connections).</summary>
    public Task IdleAsync()
    {
        lock (_gate)
        {
            return _running;
        }
    }

    private async Task RunAsync()
    {
        using var activity = StoreTelemetry.Source.StartActivity("store.statistics");
        try
        {
            await refresh(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            // Statistics are an optimisation: a refresh that loses to shutdown or a busy database
            // is retried at the next growth step; the failure is visible on the trace.
            activity?.SetTag("meridian.failure", ex.GetType().Name);
        }
        finally
        {
            lock (_gate)
            {
                Refreshes++;
            }
        }
    }
}
