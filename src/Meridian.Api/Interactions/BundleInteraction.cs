using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>POST [base]</c> with a batch or transaction Bundle. A batch runs each entry on its own
/// (one failing entry does not affect the others); a transaction is all or nothing, see
/// <see cref="TransactionProcessor"/>.
/// </summary>
internal static class BundleInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, InteractionContext ctx, Lazy<byte[]> capabilities, CancellationToken ct)
    {
        if (request.Body.IsEmpty)
        {
            return FhirResponse.Error(400, IssueType.Required, "POST to the base needs a batch or transaction Bundle.");
        }
        var (type, entries, error) = BundleRequest.Read(request.Body);
        if (error is not null)
        {
            return FhirResponse.Error(400, IssueType.Invalid, error);
        }
        if (entries.Count > ctx.Options.MaxBundleEntries)
        {
            return FhirResponse.Error(413, IssueType.TooCostly, $"The Bundle has {entries.Count} entries; the limit is {ctx.Options.MaxBundleEntries}.");
        }
        return type == "transaction"
            ? await TransactionProcessor.RunAsync(request, entries, ctx, capabilities, ct).ConfigureAwait(false)
            : await RunBatchAsync(request, entries, ctx, capabilities, ct).ConfigureAwait(false);
    }

    private static async Task<FhirResponse> RunBatchAsync(FhirRequest request, List<BundleRequestEntry> entries, InteractionContext ctx, Lazy<byte[]> capabilities, CancellationToken ct)
    {
        var results = new List<BundleEntry>(entries.Count);
        foreach (var e in entries)
        {
            var inner = e.ToRequest(request, e.Header("ifNoneExist"));
            var response = ContentNegotiation.Check(inner) ?? await Router.DispatchAsync(inner, ctx, capabilities, ct).ConfigureAwait(false);
            results.Add(ResponseEntry(response));
        }
        return new FhirResponse(200, BundleWriter.Write("batch-response", null, [], results));
    }

    /// <summary>An entry of a batch/transaction response: the resource (or the outcome of a failure) and the status line.</summary>
    public static BundleEntry ResponseEntry(FhirResponse response)
    {
        var ok = response.IsSuccess || response.Status == 304;
        var isOutcome = !response.Issues.IsEmpty;
        return new BundleEntry(FullUrlOf(response), ok && !isOutcome ? response.Body : ReadOnlyMemory<byte>.Empty)
        {
            ResponseStatus = StatusLine(response.Status),
            ResponseLocation = response.Location,
            ResponseEtag = response.ETag,
            ResponseLastModified = response.LastModified,
            ResponseOutcome = isOutcome ? response.Body : ReadOnlyMemory<byte>.Empty,
        };
    }

    private static string? FullUrlOf(FhirResponse response)
    {
        if (response.Location is not { } loc)
        {
            return null;
        }
        var h = loc.IndexOf("/_history/", StringComparison.Ordinal);
        return h < 0 ? loc : loc[..h];
    }

    public static string StatusLine(int status) => status switch
    {
        200 => "200 OK",
        201 => "201 Created",
        204 => "204 No Content",
        304 => "304 Not Modified",
        400 => "400 Bad Request",
        404 => "404 Not Found",
        405 => "405 Method Not Allowed",
        409 => "409 Conflict",
        410 => "410 Gone",
        412 => "412 Precondition Failed",
        422 => "422 Unprocessable Entity",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
