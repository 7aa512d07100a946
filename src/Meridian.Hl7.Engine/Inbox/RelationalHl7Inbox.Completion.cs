using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using Meridian.Storage;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>Batch completion (the dispatcher's batches): the successes of a batch cost one UPDATE
/// in one transaction instead of one commit each; failures take the single path, which also
/// copies the message to the error store. Like <see cref="CompleteAsync"/>, completion ends the
/// messages' claims, frees the keys their node no longer has claimed messages of, and makes a
/// requested application acknowledgment due. <see cref="CompletionParticipant"/> does the same inside
/// the transaction that lands the batch's FHIR writes (no commit of its own).</summary>
public sealed partial class RelationalHl7Inbox
{
    public async Task CompleteManyAsync(IReadOnlyList<(long Id, ProcessingOutcome Outcome)> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var succeeded = outcomes.Where(o => o.Outcome.Succeeded).Select(o => o.Id).Distinct().ToList();
        if (succeeded.Count > 0)
        {
            var now = _clock.GetUtcNow().UtcTicks;
            await _sql.WriteAsync((connection, tx, ct) => MarkProcessedAsync(connection, tx, IsPostgres, succeeded, now, ct), cancellationToken).ConfigureAwait(false);
        }
        foreach (var (id, outcome) in outcomes.Where(o => !o.Outcome.Succeeded))
        {
            await CompleteAsync(id, outcome, cancellationToken).ConfigureAwait(false);
        }
    }

    public ITransactionParticipant? CompletionParticipant(string tenant, IReadOnlyList<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids.Count == 0 ? null : new InboxCompletionParticipant(this, tenant, [.. ids.Distinct()]);
    }

    /// <summary>Marks messages processed inside a FHIR store transaction (the mapped batch's own).</summary>
    private sealed class InboxCompletionParticipant(RelationalHl7Inbox inbox, string tenant, List<long> ids) : ITransactionParticipant
    {
        public async ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Tenant != tenant)
            {
                // The rows are only visible in their tenant's scope (row-level security on PostgreSQL).
                throw new InvalidOperationException($"inbox completion for tenant '{tenant}' joined a transaction of tenant '{context.Tenant}'");
            }
            // Re-run from scratch when the store retries the request: the UPDATE and the key release
            // are idempotent, and a rolled-back attempt left nothing behind.
            await MarkProcessedAsync(context.Connection, context.Transaction, inbox.IsPostgres, ids, inbox._clock.GetUtcNow().UtcTicks, cancellationToken).ConfigureAwait(false);
            return [];
        }
    }

    /// <summary>The successes' UPDATE, then the release of the keys their node no longer holds any
    /// claimed message of; returns how many claimed keys it looked at.</summary>
    private static async Task<int> MarkProcessedAsync(DbConnection connection, DbTransaction tx, bool isPostgres, List<long> succeeded, long now, CancellationToken ct)
    {
        // The claimed keys first: after the UPDATE the rows no longer say who held them.
        var held = new HashSet<(string Tenant, string Sender, long Bucket, string Node)>();
        await using (var find = connection.CreateCommand())
        {
            find.Transaction = tx;
            var select = new StringBuilder("SELECT tenant, sender, ordering_bucket, claimed_by FROM hl7_inbox WHERE claimed_by IS NOT NULL AND id IN (");
            AppendIds(find, select, succeeded);
#pragma warning disable CA2100 // built from constants and parameter names
            find.CommandText = select.Append(')').ToString();
#pragma warning restore CA2100
            await using var r = await find.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                held.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
            }
        }
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = tx;
            var text = new StringBuilder($"UPDATE hl7_inbox SET status = '{InboxStatus.Processed}', attempts = attempts + 1, reason = NULL, reason_sealed = NULL, updated_at = @now, claimed_by = NULL, claim_expires = NULL, " +
                $"app_ack_status = CASE WHEN app_ack_status = '{AppAckStatus.Awaiting}' THEN '{AppAckStatus.Pending}' ELSE app_ack_status END, " +
                $"app_ack_next = CASE WHEN app_ack_status = '{AppAckStatus.Awaiting}' THEN @now ELSE app_ack_next END WHERE id IN (");
            SqlCommands.Add(update, "@now", now);
            AppendIds(update, text, succeeded);
#pragma warning disable CA2100 // built from constants and parameter names
            update.CommandText = text.Append(')').ToString();
#pragma warning restore CA2100
            await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await ReleaseKeysAsync(connection, tx, isPostgres, [.. held], ct).ConfigureAwait(false);
        return held.Count;
    }

    private static void AppendIds(System.Data.Common.DbCommand cmd, StringBuilder text, List<long> ids)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            text.Append(i > 0 ? ", " : "").Append("@id").Append(i);
            SqlCommands.Add(cmd, $"@id{i}", ids[i]);
        }
    }
}
