using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>The error store half of <see cref="RelationalHl7Inbox"/>: rejected messages, listing, replay marks, counts.</summary>
public sealed partial class RelationalHl7Inbox
{
    public Task<long> RecordRejectedAsync(RejectedMessage rejected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, tx,
                "INSERT INTO hl7_errors (tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw) " +
                $"VALUES (@t, '{ErrorStage.Receive}', @s, @c, @m, NULL, @r, @reason, @at, '{ErrorStatus.Open}', 0, @raw) RETURNING id",
                ("@t", rejected.Tenant), ("@s", rejected.Sender), ("@c", rejected.ControlId), ("@m", rejected.MessageType), ("@r", rejected.Remote),
                ("@reason", rejected.Reason), ("@at", rejected.OccurredAt.UtcTicks), ("@raw", rejected.Raw));
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    public Task<ImmutableArray<Hl7Error>> ListErrorsAsync(ErrorQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _sql.ReadAsync(async (connection, ct) =>
        {
            var sql = new StringBuilder($"SELECT {ErrorColumns} FROM hl7_errors WHERE id > @after");
            var parameters = new List<(string, object?)> { ("@after", query.AfterId), ("@max", Math.Clamp(query.Max, 1, 1000)) };
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
            if (!string.IsNullOrEmpty(query.Text))
            {
                // instr(), not LIKE: the operator's text is matched literally (no wildcards), on both engines.
                var instr = connection.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal) ? "strpos" : "instr";
                sql.Append($" AND ({instr}(reason, @text) > 0 OR {instr}(coalesce(control_id, ''), @text) > 0 OR {instr}(coalesce(message_type, ''), @text) > 0)");
                parameters.Add(("@text", query.Text));
            }
            sql.Append(" ORDER BY id LIMIT @max");
            await using var cmd = SqlCommands.Create(connection, null, sql.ToString(), [.. parameters]);
            return await ReadErrorsAsync(cmd, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<Hl7Error?> GetErrorAsync(long id, CancellationToken cancellationToken = default)
    {
        var rows = await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null, $"SELECT {ErrorColumns} FROM hl7_errors WHERE id = @id", ("@id", id));
            return await ReadErrorsAsync(cmd, ct).ConfigureAwait(false);
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
            await using var requeue = SqlCommands.Create(connection, tx,
                $"UPDATE hl7_inbox SET status = '{InboxStatus.Received}', updated_at = @now WHERE id = (SELECT inbox_id FROM hl7_errors WHERE id = @id) AND status = '{InboxStatus.Failed}'",
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

    private static async Task<ImmutableArray<Hl7Error>> ReadErrorsAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = ImmutableArray.CreateBuilder<Hl7Error>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Hl7Error(
                r.GetInt64(0), r.GetString(1), r.GetString(2), SqlCommands.NullableString(r, 3), SqlCommands.NullableString(r, 4),
                SqlCommands.NullableString(r, 5), r.IsDBNull(6) ? null : r.GetInt64(6), SqlCommands.NullableString(r, 7), r.GetString(8),
                SqlCommands.Ticks(r, 9), r.GetString(10), (int)r.GetInt64(11), r.GetFieldValue<byte[]>(12)));
        }
        return list.DrainToImmutable();
    }
}
