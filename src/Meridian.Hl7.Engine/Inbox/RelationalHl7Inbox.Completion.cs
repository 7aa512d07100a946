using System.Text;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>Batch completion (the dispatcher's batches): the successes of a batch cost one UPDATE
/// in one transaction instead of one commit each; failures take the single path, which also
/// copies the message to the error store.</summary>
public sealed partial class RelationalHl7Inbox
{
    public async Task CompleteManyAsync(IReadOnlyList<(long Id, ProcessingOutcome Outcome)> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var succeeded = outcomes.Where(o => o.Outcome.Succeeded).Select(o => o.Id).Distinct().ToList();
        if (succeeded.Count > 0)
        {
            var now = _clock.GetUtcNow().UtcTicks;
            await _sql.WriteAsync(async (connection, tx, ct) =>
            {
                await using var update = connection.CreateCommand();
                update.Transaction = tx;
                var text = new StringBuilder($"UPDATE hl7_inbox SET status = '{InboxStatus.Processed}', attempts = attempts + 1, reason = NULL, updated_at = @now WHERE id IN (");
                SqlCommands.Add(update, "@now", now);
                for (var i = 0; i < succeeded.Count; i++)
                {
                    text.Append(i > 0 ? ", " : "").Append("@id").Append(i);
                    SqlCommands.Add(update, $"@id{i}", succeeded[i]);
                }
#pragma warning disable CA2100 // built from constants and parameter names
                update.CommandText = text.Append(')').ToString();
#pragma warning restore CA2100
                return await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (id, outcome) in outcomes.Where(o => !o.Outcome.Succeeded))
        {
            await CompleteAsync(id, outcome, cancellationToken).ConfigureAwait(false);
        }
    }
}
