using System.Globalization;
using System.Text;
using Meridian.Storage.Records;

namespace Meridian.Events.Positions;

/// <summary>
/// <see cref="IDispatchLease"/> as a server-wide platform record per partition whose value is
/// <c>holder</c> and expiry. The record itself never expires and is never deleted, so its
/// version only grows: a holder that renews with a stale version after losing the lease fails
/// its compare-and-swap instead of taking the lease back from its successor (no ABA).
/// Expiry is judged by the acquiring node's clock: nodes need synchronised clocks (NTP), with
/// skew well below a third of the lease.
/// </summary>
public sealed class RecordDispatchLease(ISystemRecordStore records, TimeProvider clock) : IDispatchLease
{
    public const string Kind = "event-lease";

    private readonly ISystemRecordStore _records = records ?? throw new ArgumentNullException(nameof(records));
    private readonly TimeProvider _clock = clock ?? throw new ArgumentNullException(nameof(clock));

    public async Task<bool> TryAcquireAsync(string partition, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var record = await _records.GetRecordAsync(SystemRecord.ServerWide, Kind, partition, cancellationToken).ConfigureAwait(false);
        if (record is not null)
        {
            var (current, expires) = Parse(record.Value);
            if (current != holder && expires > now)
            {
                return false;
            }
        }
        var value = Format(holder, now + duration);
        var written = await _records.PutRecordAsync(SystemRecord.ServerWide, Kind, partition, value, record?.Version ?? SystemRecord.Absent, null, cancellationToken).ConfigureAwait(false);
        return written is not null;
    }

    public async Task ReleaseAsync(string partition, string holder, CancellationToken cancellationToken)
    {
        var record = await _records.GetRecordAsync(SystemRecord.ServerWide, Kind, partition, cancellationToken).ConfigureAwait(false);
        if (record is not null && Parse(record.Value).Holder == holder)
        {
            // Expired now, but kept: the version keeps growing (see the class comment).
            await _records.PutRecordAsync(SystemRecord.ServerWide, Kind, partition, Format(holder, DateTimeOffset.MinValue), record.Version, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The current holder and expiry, or null (for operators and tests).</summary>
    public async Task<(string Holder, DateTimeOffset Expires)?> ReadAsync(string partition, CancellationToken cancellationToken)
    {
        var record = await _records.GetRecordAsync(SystemRecord.ServerWide, Kind, partition, cancellationToken).ConfigureAwait(false);
        return record is null ? null : Parse(record.Value);
    }

    private static byte[] Format(string holder, DateTimeOffset expires) =>
        Encoding.UTF8.GetBytes(expires.UtcTicks.ToString(CultureInfo.InvariantCulture) + " " + holder);

    private static (string Holder, DateTimeOffset Expires) Parse(byte[] value)
    {
        var text = Encoding.UTF8.GetString(value);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return (text[(space + 1)..], new DateTimeOffset(long.Parse(text.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero));
    }
}
