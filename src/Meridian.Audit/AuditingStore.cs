using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// The store as <see cref="Meridian.Api.FhirApi"/> sees it when audit is on: unchanged, except
/// that a transaction carrying an <see cref="AuditScope"/> that commits is counted on it. The
/// interceptor then knows exactly whether the request's AuditEvent is already durable (it
/// committed with the data) or must still be appended, whatever path the interaction took.
/// </summary>
public sealed class AuditingStore(IFhirStore inner) : ForwardingFhirStore(inner)
{
    public override async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await Inner.TransactAsync(tenant, operations, options, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded && options?.Audit is AuditScope scope)
        {
            scope.MarkCommitted();
        }
        return result;
    }
}
