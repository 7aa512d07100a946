using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using Meridian.Storage;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// <see cref="IHl7Inbox"/> on the relational store's own connections
/// (<see cref="IModuleDatabase"/>): the same database, the same durability as FHIR writes
/// (SQLite <c>synchronous=FULL</c>, PostgreSQL commit). A batch of appends is one multi-row
/// INSERT … ON CONFLICT DO NOTHING in one transaction, so a burst costs one commit.
/// </summary>
public sealed partial class RelationalHl7Inbox : IHl7Inbox
{
    private const string MessageColumns = "id, tenant, sender, control_id, message_type, version, ordering_key, mapping_set, client_id, remote, received_at, status, attempts, reason, raw";
    private const string ErrorColumns = "id, tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw";

    private readonly IModuleDatabase _sql;
    private readonly TimeProvider _clock;

    public RelationalHl7Inbox(IModuleDatabase sql, TimeProvider? clock = null)
    {
        _sql = sql ?? throw new ArgumentNullException(nameof(sql));
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The inbox of <paramref name="store"/> (or of the relational store it wraps).</summary>
    public static RelationalHl7Inbox For(IFhirStore store, TimeProvider? clock = null) =>
        new(store.Find<IModuleDatabase>() ?? throw new ArgumentException("the HL7 v2 inbox needs a relational store (SQLite or PostgreSQL)", nameof(store)), clock);

    public async Task<ImmutableArray<InboxAppend>> AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return [];
        }
        // The same message twice in one batch (a sender retrying on another connection): insert once.
        var firstIndex = new Dictionary<(string, string, string), int>();
        var distinct = new List<int>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (firstIndex.TryAdd((entries[i].Tenant, entries[i].Sender, entries[i].ControlId), i))
            {
                distinct.Add(i);
            }
        }
        var now = _clock.GetUtcNow().UtcTicks;
        var ids = await _sql.WriteAsync(async (connection, tx, ct) =>
        {
            var inserted = new Dictionary<(string, string, string), long>();
            var text = new StringBuilder("INSERT INTO hl7_inbox (tenant, sender, control_id, message_type, version, ordering_key, mapping_set, client_id, remote, received_at, status, attempts, reason, updated_at, raw) VALUES ");
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            for (var n = 0; n < distinct.Count; n++)
            {
                var e = entries[distinct[n]];
                text.Append(n > 0 ? ", " : "").Append($"(@t{n}, @s{n}, @c{n}, @m{n}, @v{n}, @k{n}, @ms{n}, @cl{n}, @r{n}, @at{n}, '{InboxStatus.Received}', 0, NULL, @u{n}, @raw{n})");
                SqlCommands.Add(insert, $"@t{n}", e.Tenant);
                SqlCommands.Add(insert, $"@s{n}", e.Sender);
                SqlCommands.Add(insert, $"@c{n}", e.ControlId);
                SqlCommands.Add(insert, $"@m{n}", e.MessageType);
                SqlCommands.Add(insert, $"@v{n}", e.Version);
                SqlCommands.Add(insert, $"@k{n}", e.OrderingKey);
                SqlCommands.Add(insert, $"@ms{n}", e.MappingSet);
                SqlCommands.Add(insert, $"@cl{n}", e.ClientId);
                SqlCommands.Add(insert, $"@r{n}", e.Remote);
                SqlCommands.Add(insert, $"@at{n}", e.ReceivedAt.UtcTicks);
                SqlCommands.Add(insert, $"@u{n}", now);
                SqlCommands.Add(insert, $"@raw{n}", e.Raw);
            }
            text.Append(" ON CONFLICT (tenant, sender, control_id) DO NOTHING RETURNING id, tenant, sender, control_id");
#pragma warning disable CA2100 // built from constants and parameter names
            insert.CommandText = text.ToString();
#pragma warning restore CA2100
            await using (var reader = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    inserted[(reader.GetString(1), reader.GetString(2), reader.GetString(3))] = reader.GetInt64(0);
                }
            }
            var result = new Dictionary<(string, string, string), (long Id, bool Duplicate)>();
            foreach (var i in distinct)
            {
                var key = (entries[i].Tenant, entries[i].Sender, entries[i].ControlId);
                if (inserted.TryGetValue(key, out var id))
                {
                    result[key] = (id, false);
                    continue;
                }
                await using var find = SqlCommands.Create(connection, tx, "SELECT id FROM hl7_inbox WHERE tenant = @t AND sender = @s AND control_id = @c",
                    ("@t", key.Tenant), ("@s", key.Sender), ("@c", key.ControlId));
                result[key] = (Convert.ToInt64(await find.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture), true);
            }
            return result;
        }, cancellationToken).ConfigureAwait(false);

        var appends = ImmutableArray.CreateBuilder<InboxAppend>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var key = (entries[i].Tenant, entries[i].Sender, entries[i].ControlId);
            var (id, duplicate) = ids[key];
            appends.Add(new InboxAppend(id, duplicate || firstIndex[key] != i));
        }
        return appends.MoveToImmutable();
    }

    public Task<ImmutableArray<StoredHl7Message>> PendingAsync(long afterId, int max, CancellationToken cancellationToken = default) =>
        _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null,
                $"SELECT {MessageColumns} FROM hl7_inbox WHERE status = '{InboxStatus.Received}' AND id > @after ORDER BY id LIMIT @max",
                ("@after", afterId), ("@max", max));
            return await ReadMessagesAsync(cmd, ct).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<StoredHl7Message?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        var rows = await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null, $"SELECT {MessageColumns} FROM hl7_inbox WHERE id = @id", ("@id", id));
            return await ReadMessagesAsync(cmd, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return rows.IsEmpty ? null : rows[0];
    }

    public Task CompleteAsync(long id, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = _clock.GetUtcNow().UtcTicks;
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await using (var update = SqlCommands.Create(connection, tx,
                "UPDATE hl7_inbox SET status = @status, attempts = attempts + 1, reason = @reason, updated_at = @now WHERE id = @id",
                ("@status", outcome.Succeeded ? InboxStatus.Processed : InboxStatus.Failed), ("@reason", outcome.Reason), ("@now", now), ("@id", id)))
            {
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            if (!outcome.Succeeded)
            {
                await using var error = SqlCommands.Create(connection, tx,
                    "INSERT INTO hl7_errors (tenant, stage, sender, control_id, message_type, inbox_id, remote, reason, occurred_at, status, replays, raw) " +
                    $"SELECT tenant, '{ErrorStage.Process}', sender, control_id, message_type, id, remote, @reason, @now, '{ErrorStatus.Open}', 0, raw FROM hl7_inbox WHERE id = @id",
                    ("@reason", outcome.Reason ?? "processing failed"), ("@now", now), ("@id", id));
                await error.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }

    private static async Task<ImmutableArray<StoredHl7Message>> ReadMessagesAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = ImmutableArray.CreateBuilder<StoredHl7Message>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredHl7Message(
                r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                SqlCommands.NullableString(r, 6), SqlCommands.NullableString(r, 7), r.GetString(8), SqlCommands.NullableString(r, 9),
                SqlCommands.Ticks(r, 10), r.GetString(11), (int)r.GetInt64(12), SqlCommands.NullableString(r, 13), r.GetFieldValue<byte[]>(14)));
        }
        return list.DrainToImmutable();
    }
}
