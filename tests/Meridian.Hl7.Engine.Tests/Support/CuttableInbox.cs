using System.Collections.Immutable;
using Meridian.Hl7.Engine.Inbox;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>An inbox a test can cut off from its database: every call fails afterwards, as for a
/// node whose process died (no renewal, no completion, no release of its claims).</summary>
internal sealed class CuttableInbox(IHl7Inbox inner) : IHl7Inbox
{
    private volatile bool _cut;

    public void Cut() => _cut = true;

    private IHl7Inbox Inner => _cut ? throw new InvalidOperationException("the node is dead") : inner;

    public Task<ImmutableArray<InboxAppend>> AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken = default) => Inner.AppendAsync(entries, cancellationToken);

    public Task<ImmutableArray<StoredHl7Message>> PendingAsync(long afterId, int max, CancellationToken cancellationToken = default) => Inner.PendingAsync(afterId, max, cancellationToken);

    public Task<StoredHl7Message?> GetAsync(long id, CancellationToken cancellationToken = default) => Inner.GetAsync(id, cancellationToken);

    public Task CompleteAsync(long id, ProcessingOutcome outcome, CancellationToken cancellationToken = default) => Inner.CompleteAsync(id, outcome, cancellationToken);

    public Task CompleteManyAsync(IReadOnlyList<(long Id, ProcessingOutcome Outcome)> outcomes, CancellationToken cancellationToken = default)
    {
        Interlocked.Add(ref _completedAfterwards, outcomes.Count(o => o.Outcome.Succeeded));
        return Inner.CompleteManyAsync(outcomes, cancellationToken);
    }

    private int _completedAfterwards;

    /// <summary>Successes the dispatcher marked in a completion transaction of their own (not inline).</summary>
    public int CompletedAfterwards => Volatile.Read(ref _completedAfterwards);

    public Meridian.Storage.ITransactionParticipant? CompletionParticipant(string tenant, IReadOnlyList<long> ids) => Inner.CompletionParticipant(tenant, ids);

    public Task<long> RecordRejectedAsync(RejectedMessage rejected, CancellationToken cancellationToken = default) => Inner.RecordRejectedAsync(rejected, cancellationToken);

    public Task<ImmutableArray<Hl7Error>> ListErrorsAsync(ErrorQuery query, CancellationToken cancellationToken = default) => Inner.ListErrorsAsync(query, cancellationToken);

    public Task<Hl7Error?> GetErrorAsync(long id, CancellationToken cancellationToken = default) => Inner.GetErrorAsync(id, cancellationToken);

    public Task<bool> MarkReplayedAsync(long errorId, CancellationToken cancellationToken = default) => Inner.MarkReplayedAsync(errorId, cancellationToken);

    public Task<ImmutableDictionary<string, long>> CountsAsync(CancellationToken cancellationToken = default) => Inner.CountsAsync(cancellationToken);

    public Task<ImmutableArray<StoredHl7Message>> ClaimAsync(string node, int max, TimeSpan lease, CancellationToken cancellationToken = default) => Inner.ClaimAsync(node, max, lease, cancellationToken);

    public Task RenewClaimsAsync(string node, TimeSpan lease, CancellationToken cancellationToken = default) => Inner.RenewClaimsAsync(node, lease, cancellationToken);

    public Task ReleaseClaimsAsync(string node, CancellationToken cancellationToken = default) => Inner.ReleaseClaimsAsync(node, cancellationToken);

    public Task<ImmutableArray<AppAckWork>> AppAcksDueAsync(int max, CancellationToken cancellationToken = default) => Inner.AppAcksDueAsync(max, cancellationToken);

    public Task RecordAppAckAsync(long id, AppAckResult result, CancellationToken cancellationToken = default) => Inner.RecordAppAckAsync(id, result, cancellationToken);

    public Task<AppAckState?> AppAckStateAsync(long id, CancellationToken cancellationToken = default) => Inner.AppAckStateAsync(id, cancellationToken);
}
