using System.Collections.Immutable;
using System.Text;
using Meridian.Storage;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// One tenant's part of an inbox batch, written inside a FHIR store transaction
/// (<see cref="ITransactionParticipant"/>): the multi-row INSERT … ON CONFLICT DO NOTHING of the
/// messages (raw and ordering key sealed), then one AuditEvent per message as a FHIR create in the
/// same transaction, so a stored message without its audit record (or the reverse) cannot exist
/// and a batch costs one commit. Re-run from scratch when the store retries the request.
/// </summary>
internal sealed class InboxAppendParticipant(string tenant, IReadOnlyList<InboxEntry> entries, long now, TimeProvider clock) : ITransactionParticipant
{
    /// <summary>Per entry (same order): its inbox id and whether it was already stored. Set by the last run.</summary>
    public ImmutableArray<InboxAppend> Appends { get; private set; } = [];

    public async ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = cancellationToken;
        var connection = context.Connection;
        var tx = context.Transaction;
        // The same message twice in one batch (a sender retrying on another connection): insert once.
        var firstIndex = new Dictionary<(string, string), int>();
        var distinct = new List<int>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (firstIndex.TryAdd((entries[i].Sender, entries[i].ControlId), i))
            {
                distinct.Add(i);
            }
        }
        var seal = context.Sealer;
        var inserted = new Dictionary<(string, string), long>();
        var text = new StringBuilder("INSERT INTO hl7_inbox (tenant, sender, control_id, message_type, version, ordering_key, mapping_set, client_id, remote, received_at, status, attempts, reason, updated_at, raw, " +
            "sealed, ordering_key_sealed, ordering_bucket, app_ack_mode, app_ack_status) VALUES ");
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = tx;
            for (var n = 0; n < distinct.Count; n++)
            {
                var e = entries[distinct[n]];
                text.Append(n > 0 ? ", " : "").Append($"(@t{n}, @s{n}, @c{n}, @m{n}, @v{n}, @k{n}, @ms{n}, @cl{n}, @r{n}, @at{n}, '{InboxStatus.Received}', 0, NULL, @u{n}, @raw{n}, @sl{n}, @ks{n}, @b{n}, @am{n}, @as{n})");
                SqlCommands.Add(insert, $"@t{n}", tenant);
                SqlCommands.Add(insert, $"@s{n}", e.Sender);
                SqlCommands.Add(insert, $"@c{n}", e.ControlId);
                SqlCommands.Add(insert, $"@m{n}", e.MessageType);
                SqlCommands.Add(insert, $"@v{n}", e.Version);
                SqlCommands.Add(insert, $"@ms{n}", e.MappingSet);
                SqlCommands.Add(insert, $"@cl{n}", e.ClientId);
                SqlCommands.Add(insert, $"@r{n}", e.Remote);
                SqlCommands.Add(insert, $"@at{n}", e.ReceivedAt.UtcTicks);
                SqlCommands.Add(insert, $"@u{n}", now);
                SqlCommands.Add(insert, $"@b{n}", InboxSealing.Bucket(tenant, e.Sender, e.OrderingKey));
                SqlCommands.Add(insert, $"@am{n}", e.AppAckMode);
                SqlCommands.Add(insert, $"@as{n}", e.AppAckMode is null ? null : AppAckStatus.Awaiting);
                if (seal.Encrypts)
                {
                    SqlCommands.Add(insert, $"@k{n}", null);
                    SqlCommands.Add(insert, $"@raw{n}", await seal.SealAsync(InboxSealing.Inbox(tenant, InboxSealing.InboxRaw, e.Sender, e.ControlId), e.Raw, ct).ConfigureAwait(false));
                    SqlCommands.Add(insert, $"@sl{n}", 1L);
                    SqlCommands.Add(insert, $"@ks{n}", await InboxSealing.SealTextAsync(seal, InboxSealing.Inbox(tenant, InboxSealing.InboxOrderingKey, e.Sender, e.ControlId), e.OrderingKey, ct).ConfigureAwait(false));
                }
                else
                {
                    SqlCommands.Add(insert, $"@k{n}", e.OrderingKey);
                    SqlCommands.Add(insert, $"@raw{n}", e.Raw);
                    SqlCommands.Add(insert, $"@sl{n}", 0L);
                    SqlCommands.Add(insert, $"@ks{n}", null);
                }
            }
            text.Append(" ON CONFLICT (tenant, sender, control_id) DO NOTHING RETURNING id, sender, control_id");
#pragma warning disable CA2100 // built from constants and parameter names
            insert.CommandText = text.ToString();
#pragma warning restore CA2100
            await using var reader = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                inserted[(reader.GetString(1), reader.GetString(2))] = reader.GetInt64(0);
            }
        }
        var ids = new Dictionary<(string, string), (long Id, bool Duplicate)>();
        foreach (var i in distinct)
        {
            var key = (entries[i].Sender, entries[i].ControlId);
            if (inserted.TryGetValue(key, out var id))
            {
                ids[key] = (id, false);
                continue;
            }
            await using var find = SqlCommands.Create(connection, tx, "SELECT id FROM hl7_inbox WHERE tenant = @t AND sender = @s AND control_id = @c",
                ("@t", tenant), ("@s", key.Sender), ("@c", key.ControlId));
            ids[key] = (Convert.ToInt64(await find.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture), true);
        }
        var appends = ImmutableArray.CreateBuilder<InboxAppend>(entries.Count);
        var audits = ImmutableArray.CreateBuilder<WriteOperation>();
        for (var i = 0; i < entries.Count; i++)
        {
            var key = (entries[i].Sender, entries[i].ControlId);
            var (id, duplicate) = ids[key];
            var append = new InboxAppend(id, duplicate || firstIndex[key] != i);
            appends.Add(append);
            if (entries[i].Audit is { } fact)
            {
                var audited = append.Duplicate ? fact with { Reason = "duplicate of inbox message " + id } : fact;
                audits.Add(new CreateOperation(Meridian.Audit.AuditTypes.AuditEvent, Hl7AuditRecords.Content(audited, clock.GetUtcNow())));
            }
        }
        Appends = appends.MoveToImmutable();
        return audits.ToImmutable();
    }
}
