using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Interactions;

/// <summary><c>GET [type]/[id]</c>: the current version; 404 unknown, 410 deleted, 304 when
/// <c>If-None-Match</c> names it or it has not changed since <c>If-Modified-Since</c>.</summary>
internal static class ReadInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var r = await ctx.Store.ReadAsync(request.Tenant, type, id, ct).ConfigureAwait(false);
        if (r is null)
        {
            return Responses.NotFound(type, id);
        }
        if (r.IsDeleted)
        {
            return Responses.Gone(r);
        }
        if (NotModified(request.Headers, r))
        {
            return FhirResponse.Empty(304) with { ETag = Responses.ETag(r.VersionId), LastModified = r.LastUpdated };
        }
        if (ElementFilter.Problem(request.QueryValue("_elements"), ctx.Spec) is { } badElements)
        {
            return FhirResponse.Error(400, IssueType.Invalid, badElements);
        }
        var response = Responses.Resource(200, r);
        return ElementFilter.FromRequest(request, ctx.Spec) is { } filter
            ? response with { Body = filter.Apply(r.Json) }
            : response;
    }

    private static bool NotModified(FhirRequestHeaders h, Storage.StoredResource r)
    {
        if (h.IfNoneMatch is { } inm)
        {
            if (inm.Trim() == "*")
            {
                return true;
            }
            foreach (var tag in inm.Split(','))
            {
                if (ETags.TryParse(tag, out var v) && v == r.VersionId)
                {
                    return true;
                }
            }
            return false;
        }
        // HTTP dates have whole seconds: compare the stored instant truncated to the second.
        return h.IfModifiedSince is { } ims
            && DateTimeOffset.TryParse(ims, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since)
            && r.LastUpdated.ToUnixTimeSeconds() <= since.ToUnixTimeSeconds();
    }
}
