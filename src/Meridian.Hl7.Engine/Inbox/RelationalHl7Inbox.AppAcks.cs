using System.Collections.Immutable;
using System.Text;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// The durable queue of enhanced-mode application acknowledgments: state columns of the inbox
/// row (migration 0014). A row becomes <c>pending</c> when its processing outcome is recorded
/// (<see cref="CompleteAsync"/>); due rows are taken with a short in-progress lease (next attempt
/// moved forward) so two nodes do not send the same one at the same time.
/// </summary>
public sealed partial class RelationalHl7Inbox
{
    private static readonly TimeSpan s_sendLease = TimeSpan.FromSeconds(60);

    public Task<ImmutableArray<AppAckWork>> AppAcksDueAsync(int max, CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            var due = new List<(long Id, string Mode, int Attempts)>();
            await using (var find = SqlCommands.Create(connection, tx,
                $"SELECT id, app_ack_mode, app_ack_attempts FROM hl7_inbox WHERE app_ack_status = '{AppAckStatus.Pending}' AND app_ack_next <= @now ORDER BY id LIMIT @max" +
                (IsPostgres ? " FOR UPDATE SKIP LOCKED" : ""),
                ("@now", now), ("@max", (long)Math.Clamp(max, 1, 1000))))
            await using (var r = await find.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    due.Add((r.GetInt64(0), SqlCommands.NullableString(r, 1) ?? "AL", (int)r.GetInt64(2)));
                }
            }
            if (due.Count == 0)
            {
                return ImmutableArray<AppAckWork>.Empty;
            }
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            var ids = new StringBuilder();
            for (var i = 0; i < due.Count; i++)
            {
                ids.Append(i > 0 ? ", " : "").Append("@i").Append(i);
                SqlCommands.Add(cmd, "@i" + i, due[i].Id);
            }
            SqlCommands.Add(cmd, "@lease", now + s_sendLease.Ticks);
#pragma warning disable CA2100 // built from constants and parameter names
            cmd.CommandText = $"UPDATE hl7_inbox SET app_ack_next = @lease WHERE id IN ({ids})";
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var read = connection.CreateCommand();
            read.Transaction = tx;
            for (var i = 0; i < due.Count; i++)
            {
                SqlCommands.Add(read, "@i" + i, due[i].Id);
            }
            read.CommandText = $"SELECT {MessageColumns} FROM hl7_inbox WHERE id IN ({ids}) ORDER BY id";
#pragma warning restore CA2100
            var messages = await ReadMessagesAsync(connection, tx, read, ct).ConfigureAwait(false);
            var byId = due.ToDictionary(d => d.Id);
            return messages.Select(m => new AppAckWork(m, byId[m.Id].Mode, byId[m.Id].Attempts)).ToImmutableArray();
        }, cancellationToken);
    }

    public Task RecordAppAckAsync(long id, AppAckResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, tx,
                "UPDATE hl7_inbox SET app_ack_status = @status, app_ack_attempts = app_ack_attempts + @n, app_ack_error = @error, app_ack_next = @next WHERE id = @id",
                ("@status", result.Status), ("@n", result.Attempted ? 1L : 0L), ("@error", result.Error), ("@next", result.NextAttempt?.UtcTicks), ("@id", id));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<AppAckState?> AppAckStateAsync(long id, CancellationToken cancellationToken = default) =>
        await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null, "SELECT app_ack_mode, app_ack_status, app_ack_attempts, app_ack_error FROM hl7_inbox WHERE id = @id", ("@id", id));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false)
                ? new AppAckState(SqlCommands.NullableString(r, 0), SqlCommands.NullableString(r, 1), (int)r.GetInt64(2), SqlCommands.NullableString(r, 3))
                : null;
        }, cancellationToken).ConfigureAwait(false);
}
