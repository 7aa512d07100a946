using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>The error store half of <see cref="RelationalHl7Inbox"/>: rejected messages, listing, replay marks, counts.</summary>
public sealed partial class RelationalHl7Inbox
{
    /// <summary>How many error rows a text search opens at most per call: reasons are sealed, so
    /// the text is matched after decryption, page by page, not by the database.</summary>
    private const int MaxTextScan = 20_000;

    public Task<long> RecordRejectedAsync(RejectedMessage rejected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            var seal = _protection.SealerFor(connection, tx);
            var at = rejected.OccurredAt.UtcTicks;
            byte[] raw = rejected.Raw;
            byte[]? reason = null;
            if (seal.Encrypts)
            {
                raw = await seal.SealAsync(InboxSealing.Error(rejected.Tenant, InboxSealing.ErrorRaw, rejected.Sender, rejected.ControlId, at), rejected.Raw, ct).ConfigureAwait(false);
                reason = await InboxSealing.SealTextAsync(seal, InboxSealing.Error(rejected.Tenant, InboxSealing.ErrorReason, rejected.Sender, rejected.ControlId, at), rejected.Reason, ct).ConfigureAwait(false);
            }
            await using var cmd = SqlCommands.Create(connection, tx,
                "INSERT INTO hl7_errors (tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw, sealed, reason_sealed) " +
                $"VALUES (@t, '{ErrorStage.Receive}', @s, @c, @m, NULL, @r, @reason, @at, '{ErrorStatus.Open}', 0, @raw, @sealed, @rs) RETURNING id",
                ("@t", rejected.Tenant), ("@s", rejected.Sender), ("@c", rejected.ControlId), ("@m", rejected.MessageType), ("@r", rejected.Remote),
                ("@reason", seal.Encrypts ? "" : rejected.Reason), ("@at", at), ("@raw", raw), ("@sealed", seal.Encrypts ? 1L : 0L), ("@rs", reason));
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    public Task<ImmutableArray<Hl7Error>> ListErrorsAsync(ErrorQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var max = Math.Clamp(query.Max, 1, 1000);
        return _sql.ReadAsync(async (connection, ct) =>
        {
            var found = ImmutableArray.CreateBuilder<Hl7Error>();
            var after = query.AfterId;
            var scanned = 0;
            // Without a text filter one page answers; with one, pages are opened and matched here
            // (the reason is sealed) until enough match or the scan bound is reached.
            var page = string.IsNullOrEmpty(query.Text) ? max : 500;
            for (var round = 0; round < MaxTextScan / 500 + 1 && found.Count < max; round++)
            {
                var rows = await ErrorPageAsync(connection, query, after, page, ct).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    if (found.Count < max && Matches(row, query.Text))
                    {
                        found.Add(row);
                    }
                }
                scanned += rows.Length;
                if (rows.Length < page || string.IsNullOrEmpty(query.Text) || scanned >= MaxTextScan)
                {
                    break;
                }
                after = rows[^1].Id;
            }
            return found.ToImmutable();
        }, cancellationToken);
    }

    private static bool Matches(Hl7Error error, string? text) =>
        string.IsNullOrEmpty(text)
        || error.Reason.Contains(text, StringComparison.Ordinal)
        || (error.ControlId?.Contains(text, StringComparison.Ordinal) ?? false)
        || (error.MessageType?.Contains(text, StringComparison.Ordinal) ?? false);

    private async Task<ImmutableArray<Hl7Error>> ErrorPageAsync(DbConnection connection, ErrorQuery query, long after, int max, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {ErrorColumns} FROM hl7_errors WHERE id > @after");
        var parameters = new List<(string, object?)> { ("@after", after), ("@max", max) };
        void Filter(string? value, string condition, string name)
        {
            if (!string.IsNullOrEmpty(value))
            {
                sql.Append(" AND ").Append(condition);
                parameters.Add((name, value));
            }
        }
        Filter(query.Status, "status = @status", "@status");
        Filter(query.Sender, "sender = @sender", "@sender");
        Filter(query.Stage, "stage = @stage", "@stage");
        sql.Append(" ORDER BY id LIMIT @max");
        await using var cmd = SqlCommands.Create(connection, null, sql.ToString(), [.. parameters]);
        return await ReadErrorsAsync(connection, cmd, ct).ConfigureAwait(false);
    }

    public async Task<Hl7Error?> GetErrorAsync(long id, CancellationToken cancellationToken = default)
    {
        var rows = await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null, $"SELECT {ErrorColumns} FROM hl7_errors WHERE id = @id", ("@id", id));
            return await ReadErrorsAsync(connection, cmd, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return rows.IsEmpty ? null : rows[0];
    }

    public Task<bool> MarkReplayedAsync(long errorId, CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await using (var mark = SqlCommands.Create(connection, tx,
                $"UPDATE hl7_errors SET status = '{ErrorStatus.Replayed}', replays = replays + 1 WHERE id = @id AND status = '{ErrorStatus.Open}'", ("@id", errorId)))
            {
                if (await mark.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
                {
                    return false;
                }
            }
            // Processed again from scratch: unclaimed, and an application acknowledgment that was
            // requested waits for the new outcome (the sender then learns the replay's result too).
            await using var requeue = SqlCommands.Create(connection, tx,
                $"UPDATE hl7_inbox SET status = '{InboxStatus.Received}', updated_at = @now, claimed_by = NULL, claim_expires = NULL, " +
                $"app_ack_status = CASE WHEN app_ack_mode IS NULL OR app_ack_status = '{AppAckStatus.Unroutable}' THEN app_ack_status ELSE '{AppAckStatus.Awaiting}' END " +
                $"WHERE id = (SELECT inbox_id FROM hl7_errors WHERE id = @id) AND status = '{InboxStatus.Failed}'",
                ("@now", now), ("@id", errorId));
            await requeue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task<ImmutableDictionary<string, long>> CountsAsync(CancellationToken cancellationToken = default) =>
        _sql.ReadAsync(async (connection, ct) =>
        {
            var counts = ImmutableDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
            await using var cmd = SqlCommands.Create(connection, null,
                $"SELECT status, count(*) FROM hl7_inbox GROUP BY status UNION ALL SELECT 'errors-open', count(*) FROM hl7_errors WHERE status = '{ErrorStatus.Open}'");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                counts[r.GetString(0)] = r.GetInt64(1);
            }
            return counts.ToImmutable();
        }, cancellationToken);

    private async Task<ImmutableArray<Hl7Error>> ReadErrorsAsync(DbConnection connection, DbCommand cmd, CancellationToken ct)
    {
        var rows = new List<(Hl7Error Error, bool Sealed, byte[]? Reason)>();
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add((new Hl7Error(
                    r.GetInt64(0), r.GetString(1), r.GetString(2), SqlCommands.NullableString(r, 3), SqlCommands.NullableString(r, 4),
                    SqlCommands.NullableString(r, 5), r.IsDBNull(6) ? null : r.GetInt64(6), SqlCommands.NullableString(r, 7), r.GetString(8),
                    SqlCommands.Ticks(r, 9), r.GetString(10), (int)r.GetInt64(11), r.GetFieldValue<byte[]>(12)),
                    r.GetInt64(13) != 0, SqlCommands.NullableBytes(r, 14)));
            }
        }
        if (!rows.Exists(row => row.Sealed || row.Reason is not null))
        {
            return [.. rows.Select(row => row.Error)];
        }
        var seal = _protection.SealerFor(connection, null);
        var list = ImmutableArray.CreateBuilder<Hl7Error>(rows.Count);
        foreach (var (e, isSealed, reason) in rows)
        {
            var open = e;
            var at = e.OccurredAt.UtcTicks;
            if (isSealed)
            {
                // A processing failure carries its inbox row's sealed raw, bound to that row.
                var address = e.InboxId is not null
                    ? InboxSealing.Inbox(e.Tenant, InboxSealing.InboxRaw, e.Sender ?? "", e.ControlId ?? "")
                    : InboxSealing.Error(e.Tenant, InboxSealing.ErrorRaw, e.Sender, e.ControlId, at);
                open = open with { Raw = await seal.OpenAsync(address, e.Raw, ct).ConfigureAwait(false) };
            }
            if (reason is not null)
            {
                open = open with { Reason = await InboxSealing.OpenTextAsync(seal, InboxSealing.Error(e.Tenant, InboxSealing.ErrorReason, e.Sender, e.ControlId, at), reason, ct).ConfigureAwait(false) ?? "" };
            }
            list.Add(open);
        }
        return list.MoveToImmutable();
    }
}
