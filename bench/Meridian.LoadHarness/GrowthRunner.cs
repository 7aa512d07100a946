using System.Diagnostics;
using System.Globalization;

namespace Meridian.LoadHarness;

/// <summary>
/// <c>--growth sql</c>: brings the store to a number of corpus copies with <see cref="DataGrowth"/>
/// (copy 0 through HTTP ingest, the rest inside the database) and tells <see cref="Scenarios"/>
/// which Patients exist. A small <c>harness_growth</c> table remembers stride and copies, so a
/// kept database (<c>--data-dir</c>, <c>--pg-database</c>) is reused and only grown further.
/// </summary>
internal sealed class GrowthRunner(ServerHost host, Scenarios scenarios)
{
    /// <summary>Copies now in the store (0 when empty).</summary>
    public async Task<int> LoadedAsync(CancellationToken ct)
    {
        await using var growth = await OpenAsync(ct).ConfigureAwait(false);
        var (stride, copies) = await StateAsync(growth, ct).ConfigureAwait(false);
        var restored = await growth.Growth.RestoreIndexesAsync(ct).ConfigureAwait(false);
        if (restored > 0)
        {
            Console.WriteLine($"  sql growth: rebuilt {restored} indexes an interrupted run had dropped");
        }
        if (copies > 0)
        {
            await RegisterPatientsAsync(growth, stride, copies, ct).ConfigureAwait(false);
        }
        return copies;
    }

    /// <summary>Grows from <paramref name="loaded"/> (≥ 1, copy 0 ingested) to <paramref name="copies"/>.</summary>
    public async Task GrowAsync(int loaded, int copies, CancellationToken ct)
    {
        await using var growth = await OpenAsync(ct).ConfigureAwait(false);
        var (stride, known) = await StateAsync(growth, ct).ConfigureAwait(false);
        if (known == 0)
        {
            stride = await growth.Growth.StrideAsync(ct).ConfigureAwait(false);
        }
        var clock = Stopwatch.StartNew();
        var first = Math.Max(loaded, 1);
        if (copies - first >= 2)
        {
            var dropped = await growth.Growth.DropIndexesAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"  sql growth: dropped {dropped} secondary indexes for the copies");
        }
        var offset = first < copies ? await growth.Growth.MaxKeyAsync(ct).ConfigureAwait(false) : 0;
        for (var k = first; k < copies; k++)
        {
            await growth.Growth.CopyAsync(k, stride, offset, ct).ConfigureAwait(false);
            offset += stride;
            await SaveAsync(growth, stride, k + 1, ct).ConfigureAwait(false);
            Console.WriteLine($"  sql growth: copy {k} in, {clock.Elapsed.TotalSeconds:F0} s");
        }
        var rebuilt = await growth.Growth.RestoreIndexesAsync(ct).ConfigureAwait(false);
        Console.WriteLine($"  sql growth: {rebuilt} indexes rebuilt, {clock.Elapsed.TotalSeconds:F0} s");
        await SaveAsync(growth, stride, Math.Max(copies, 1), ct).ConfigureAwait(false);
        await RegisterPatientsAsync(growth, stride, copies, ct).ConfigureAwait(false);
    }

    private async Task RegisterPatientsAsync(Handle growth, long stride, int copies, CancellationToken ct)
    {
        var ids = await growth.Growth.PatientIdsAsync(stride, ct).ConfigureAwait(false);
        scenarios.Patients.Clear();
        scenarios.Patients[0] = [.. ids];
        for (var k = 1; k < copies; k++)
        {
            var suffix = "-c" + k.ToString(CultureInfo.InvariantCulture);
            scenarios.Patients[k] = [.. ids.Select(id => id + suffix)];
        }
    }

    private async Task<Handle> OpenAsync(CancellationToken ct)
    {
        var growth = new Handle(await DataGrowth.OpenAsync(host.SqliteFile, host.PostgresConnection, ct).ConfigureAwait(false));
        await ExecAsync(growth, "CREATE TABLE IF NOT EXISTS harness_growth (stride bigint NOT NULL, copies integer NOT NULL)", ct).ConfigureAwait(false);
        return growth;
    }

    private static async Task<(long Stride, int Copies)> StateAsync(Handle growth, CancellationToken ct)
    {
        await using var cmd = growth.Growth.Connection.CreateCommand();
        cmd.CommandText = "SELECT stride, copies FROM harness_growth";
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetInt32(1)) : (0, 0);
    }

    private static async Task SaveAsync(Handle growth, long stride, int copies, CancellationToken ct)
    {
        await ExecAsync(growth, "DELETE FROM harness_growth", ct).ConfigureAwait(false);
        await ExecAsync(growth, $"INSERT INTO harness_growth (stride, copies) VALUES ({stride}, {copies})", ct).ConfigureAwait(false);
    }

    private static async Task ExecAsync(Handle growth, string sql, CancellationToken ct)
    {
        await using var cmd = growth.Growth.Connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private sealed class Handle(DataGrowth growth) : IAsyncDisposable
    {
        public DataGrowth Growth { get; } = growth;

        public ValueTask DisposeAsync() => Growth.Connection.DisposeAsync();
    }
}
