using System.Globalization;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Interactions;

/// <summary><c>GET [type]/[id]/_history/[vid]</c>: one version; a deleted version is 410.</summary>
internal static class VReadInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, Route route, InteractionContext ctx, CancellationToken ct)
    {
        if (!long.TryParse(route.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            return FhirResponse.Error(404, IssueType.NotFound, $"'{route.Version}' is not a version of {route.Type}/{route.Id}.");
        }
        var r = await ctx.Store.ReadVersionAsync(request.Tenant, route.Type!, route.Id!, version, ct).ConfigureAwait(false);
        if (r is null)
        {
            return FhirResponse.Error(404, IssueType.NotFound, $"{route.Type}/{route.Id} has no version {version}.");
        }
        if (r.IsDeleted)
        {
            return Responses.Gone(r);
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
}
