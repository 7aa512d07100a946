using System.Globalization;
using System.Text;
using Meridian.Storage.Records;

namespace Meridian.Events.Positions;

/// <summary>
/// <see cref="IConsumerPositions"/> as server-wide platform records (<see cref="ISystemRecordStore"/>,
/// table <c>system_records</c>): one record per consumer, the sequence as text. Advancing is a
/// compare-and-swap that only ever raises the number, so a late or duplicate acknowledgement
/// (two nodes, a retried batch) can never rewind a consumer. Works on every store, no migration.
/// </summary>
public sealed class RecordConsumerPositions(ISystemRecordStore records, string kind = RecordConsumerPositions.ConsumerKind) : IConsumerPositions
{
    /// <summary>Record kind of consumer positions.</summary>
    public const string ConsumerKind = "event-position";

    /// <summary>Record kind of the dispatchers' published positions (per partition).</summary>
    public const string DispatcherKind = "event-dispatch-position";

    // A compare-and-swap only fails when another writer moved the record in between; each retry
    // re-reads, and a writer that finds the record already ahead stops. Bounded for safety.
    private const int MaxAttempts = 16;

    private readonly ISystemRecordStore _records = records ?? throw new ArgumentNullException(nameof(records));

    public async Task<long> GetAsync(string consumer, CancellationToken cancellationToken)
    {
        var record = await _records.GetRecordAsync(SystemRecord.ServerWide, kind, consumer, cancellationToken).ConfigureAwait(false);
        return record is null ? 0 : Parse(record.Value);
    }

    public async Task AdvanceAsync(string consumer, long sequence, CancellationToken cancellationToken)
    {
        var value = Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture));
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var record = await _records.GetRecordAsync(SystemRecord.ServerWide, kind, consumer, cancellationToken).ConfigureAwait(false);
            if (record is not null && Parse(record.Value) >= sequence)
            {
                return;
            }
            var written = await _records.PutRecordAsync(SystemRecord.ServerWide, kind, consumer, value, record?.Version ?? SystemRecord.Absent, null, cancellationToken).ConfigureAwait(false);
            if (written is not null)
            {
                return;
            }
        }
        throw new InvalidOperationException($"The position of '{consumer}' could not be advanced: {MaxAttempts} concurrent writers won in a row.");
    }

    private static long Parse(byte[] value) => long.Parse(Encoding.ASCII.GetString(value), NumberStyles.None, CultureInfo.InvariantCulture);
}
