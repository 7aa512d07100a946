using Meridian.Storage;

namespace Meridian.Events.Dispatch;

/// <summary>
/// The store unchanged, except that a successful transaction raises the <see cref="CommitSignal"/>
/// after it returns (after the commit is durable, never inside it). Writes that bypass it (purges
/// through <see cref="IFhirStoreMaintenance"/>, other nodes) are found by the dispatcher's poll.
/// </summary>
public sealed class CommitSignalingStore(IFhirStore inner, CommitSignal signal) : ForwardingFhirStore(inner)
{
    public override async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await Inner.TransactAsync(tenant, operations, options, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            signal.Raise();
        }
        return result;
    }
}
