using System.Globalization;
using Meridian.Api;
using Meridian.Storage;

namespace Meridian.Server;

/// <summary>
/// Turns the store's "not now" into a FHIR answer: a search that waited
/// <c>Meridian:Storage:DeferredIndexWait</c> for the deferred audit indexer
/// (<see cref="DeferredIndexTimeoutException"/>) is 503 with an OperationOutcome (code
/// <c>timeout</c>, a kind of <c>transient</c>) and Retry-After, not the 500 of a server fault.
/// Registered after the audit interceptor, so it runs inside it and the attempt is audited with
/// the status the client got.
/// </summary>
internal sealed class StoreBusyInterceptor : IFhirInterceptor
{
    public async Task<FhirResponse> HandleAsync(FhirRequest request, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }
        catch (DeferredIndexTimeoutException ex)
        {
            return Unavailable(ex);
        }
    }

    public static FhirResponse Unavailable(DeferredIndexTimeoutException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var seconds = Math.Max(1, (int)Math.Ceiling(exception.RetryAfter.TotalSeconds));
        return FhirResponse.Error(503, "timeout", string.Create(CultureInfo.InvariantCulture,
            $"The search index of audit records is still catching up with recent writes ({exception.Message}); retry in {seconds} s.")) with
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        };
    }
}
