using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// <see cref="IHl7Inbox"/> on the relational store's own connections
/// (<see cref="IModuleDatabase"/>): the same database, the same durability as FHIR writes
/// (SQLite <c>synchronous=FULL</c>, PostgreSQL commit). A batch of appends is one multi-row
/// INSERT … ON CONFLICT DO NOTHING per tenant, written inside a FHIR store transaction together
/// with the messages' AuditEvents (<see cref="InboxAppendParticipant"/>), so a burst costs one
/// commit. PHI columns are sealed with the store's envelope encryption (<see cref="InboxSealing"/>).
/// </summary>
public sealed partial class RelationalHl7Inbox : IHl7Inbox
{
    private const string MessageColumns = "id, tenant, sender, control_id, message_type, version, ordering_key, mapping_set, client_id, remote, received_at, status, attempts, reason, raw, sealed, ordering_key_sealed, reason_sealed";
    private const string ErrorColumns = "id, tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw, sealed, reason_sealed";

    private readonly IFhirStore _store;
    private readonly IModuleDatabase _sql;
    private readonly IModuleProtection _protection;
    private readonly TimeProvider _clock;

    /// <param name="store">A relational store (SQLite or PostgreSQL), possibly decorated: the inbox's
    /// appends run as its transactions (with the AuditEvents), everything else on its module connections.</param>
    public RelationalHl7Inbox(IFhirStore store, TimeProvider? clock = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _sql = store.Find<IModuleDatabase>() ?? throw new ArgumentException("the HL7 v2 inbox needs a relational store (SQLite or PostgreSQL)", nameof(store));
        _protection = store.Find<IModuleProtection>() ?? throw new ArgumentException("the HL7 v2 inbox needs a relational store (SQLite or PostgreSQL)", nameof(store));
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The inbox of <paramref name="store"/> (or of the relational store it wraps).</summary>
    public static RelationalHl7Inbox For(IFhirStore store, TimeProvider? clock = null) => new(store, clock);

    private bool IsPostgres => _sql.Dialect.Name.Contains("postgres", StringComparison.OrdinalIgnoreCase);

    public async Task<ImmutableArray<InboxAppend>> AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return [];
        }
        var now = _clock.GetUtcNow().UtcTicks;
        // One store request per tenant (a request runs in its tenant's scope); the store's group
        // commit puts them in the same database transaction when they arrive together.
        var groups = Enumerable.Range(0, entries.Count).GroupBy(i => entries[i].Tenant, StringComparer.Ordinal).ToList();
        var appends = new InboxAppend[entries.Count];
        await Task.WhenAll(groups.Select(async group =>
        {
            var indexes = group.ToList();
            var participant = new InboxAppendParticipant(group.Key, [.. indexes.Select(i => entries[i])], now, _clock);
            var result = await _store.TransactAsync(group.Key, [], new TransactOptions { Participant = participant }, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"the HL7 v2 inbox batch was not committed: {result.Failure!.Kind} {result.Failure.Message}");
            }
            for (var n = 0; n < indexes.Count; n++)
            {
                appends[indexes[n]] = participant.Appends[n];
            }
        })).ConfigureAwait(false);
        return [.. appends];
    }

    public Task<ImmutableArray<StoredHl7Message>> PendingAsync(long afterId, int max, CancellationToken cancellationToken = default) =>
        _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null,
                $"SELECT {MessageColumns} FROM hl7_inbox WHERE status = '{InboxStatus.Received}' AND id > @after ORDER BY id LIMIT @max",
                ("@after", afterId), ("@max", max));
            return await ReadMessagesAsync(connection, null, cmd, ct).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<StoredHl7Message?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        var rows = await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null, $"SELECT {MessageColumns} FROM hl7_inbox WHERE id = @id", ("@id", id));
            return await ReadMessagesAsync(connection, null, cmd, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return rows.IsEmpty ? null : rows[0];
    }

    public Task CompleteAsync(long id, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = _clock.GetUtcNow().UtcTicks;
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            var seal = _protection.SealerFor(connection, tx);
            string? tenant = null, sender = null, controlId = null, claimedBy = null;
            long bucket = 0;
            await using (var find = SqlCommands.Create(connection, tx, "SELECT tenant, sender, control_id, claimed_by, ordering_bucket FROM hl7_inbox WHERE id = @id", ("@id", id)))
            await using (var r = await find.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (!await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    return false;
                }
                (tenant, sender, controlId, claimedBy, bucket) = (r.GetString(0), r.GetString(1), r.GetString(2), SqlCommands.NullableString(r, 3), r.GetInt64(4));
            }
            var reason = outcome.Succeeded ? null : outcome.Reason ?? "processing failed";
            byte[]? sealedReason = seal.Encrypts ? await InboxSealing.SealTextAsync(seal, InboxSealing.Inbox(tenant, InboxSealing.InboxReason, sender, controlId), outcome.Reason, ct).ConfigureAwait(false) : null;
            // The application acknowledgment (if one was requested) becomes due now that the outcome is known.
            await using (var update = SqlCommands.Create(connection, tx,
                "UPDATE hl7_inbox SET status = @status, attempts = attempts + 1, reason = @reason, reason_sealed = @rs, updated_at = @now, claimed_by = NULL, claim_expires = NULL, " +
                $"app_ack_status = CASE WHEN app_ack_status = '{AppAckStatus.Awaiting}' THEN '{AppAckStatus.Pending}' ELSE app_ack_status END, " +
                $"app_ack_next = CASE WHEN app_ack_status = '{AppAckStatus.Awaiting}' THEN @now ELSE app_ack_next END WHERE id = @id",
                ("@status", outcome.Succeeded ? InboxStatus.Processed : InboxStatus.Failed), ("@reason", seal.Encrypts ? null : outcome.Reason), ("@rs", sealedReason), ("@now", now), ("@id", id)))
            {
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (reason is not null)
            {
                var errorReason = seal.Encrypts
                    ? await InboxSealing.SealTextAsync(seal, InboxSealing.Error(tenant, InboxSealing.ErrorReason, sender, controlId, now), reason, ct).ConfigureAwait(false)
                    : null;
                // raw (and its sealed flag) copied as stored: a sealed raw stays bound to the inbox row.
                await using var error = SqlCommands.Create(connection, tx,
                    "INSERT INTO hl7_errors (tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw, sealed, reason_sealed) " +
                    $"SELECT tenant, '{ErrorStage.Process}', sender, control_id, message_type, id, remote, @reason, @now, '{ErrorStatus.Open}', 0, raw, sealed, @rs FROM hl7_inbox WHERE id = @id",
                    ("@reason", seal.Encrypts ? "" : reason), ("@now", now), ("@rs", errorReason), ("@id", id));
                await error.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (claimedBy is not null)
            {
                await ReleaseKeyAsync(connection, tx, IsPostgres, tenant, sender, bucket, claimedBy, ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }

    private async Task<ImmutableArray<StoredHl7Message>> ReadMessagesAsync(DbConnection connection, DbTransaction? tx, DbCommand cmd, CancellationToken ct)
    {
        var rows = new List<(StoredHl7Message Message, bool Sealed, byte[]? Key, byte[]? Reason)>();
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add((new StoredHl7Message(
                    r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                    SqlCommands.NullableString(r, 6), SqlCommands.NullableString(r, 7), r.GetString(8), SqlCommands.NullableString(r, 9),
                    SqlCommands.Ticks(r, 10), r.GetString(11), (int)r.GetInt64(12), SqlCommands.NullableString(r, 13), r.GetFieldValue<byte[]>(14)),
                    r.GetInt64(15) != 0, SqlCommands.NullableBytes(r, 16), SqlCommands.NullableBytes(r, 17)));
            }
        }
        if (!rows.Exists(row => row.Sealed || row.Reason is not null))
        {
            return [.. rows.Select(row => row.Message)];
        }
        // Opened after the reader closed: a key lookup reuses this connection.
        var seal = _protection.SealerFor(connection, tx);
        var list = ImmutableArray.CreateBuilder<StoredHl7Message>(rows.Count);
        foreach (var (m, isSealed, key, reason) in rows)
        {
            var open = m;
            if (isSealed)
            {
                open = open with
                {
                    Raw = await seal.OpenAsync(InboxSealing.Inbox(m.Tenant, InboxSealing.InboxRaw, m.Sender, m.ControlId), m.Raw, ct).ConfigureAwait(false),
                    OrderingKey = await InboxSealing.OpenTextAsync(seal, InboxSealing.Inbox(m.Tenant, InboxSealing.InboxOrderingKey, m.Sender, m.ControlId), key, ct).ConfigureAwait(false),
                };
            }
            if (reason is not null)
            {
                // Sealed reasons are decided per value (a row stored before encryption may fail after it).
                open = open with { Reason = await InboxSealing.OpenTextAsync(seal, InboxSealing.Inbox(m.Tenant, InboxSealing.InboxReason, m.Sender, m.ControlId), reason, ct).ConfigureAwait(false) };
            }
            list.Add(open);
        }
        return list.MoveToImmutable();
    }
}
