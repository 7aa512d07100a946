using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Interactions;

/// <summary><c>PATCH [type]?criteria</c>: patches the one match (none → 404, several → 412).</summary>
internal static class ConditionalPatchInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, InteractionContext ctx, CancellationToken ct)
    {
        var query = QueryString.Format(request.Query.Where(kv => kv.Key != "_format"));
        var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, type, query, 2, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return match.Error;
        }
        return match.Matches.Length switch
        {
            0 => FhirResponse.Error(404, IssueType.NotFound, $"No {type} matches '{query}'."),
            1 => await PatchInteraction.HandleAsync(request, type, match.Matches[0].Id, ctx, ct).ConfigureAwait(false),
            _ => FhirResponse.Error(412, IssueType.Processing, $"The criteria '{query}' match more than one {type}."),
        };
    }
}
