using Meridian.Api.Internal;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>[type]/$validate</c> and <c>[type]/[id]/$validate</c>: validates the resource in the body
/// (bare or as the <c>resource</c> parameter of a Parameters), or for the instance form without
/// a body the stored version. Answers 200 with the OperationOutcome whatever it says: the
/// operation succeeded even when the resource did not; nothing is stored.
/// </summary>
internal static class ValidateOperation
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, Route route, InteractionContext ctx, CancellationToken ct)
    {
        FhirNode? resource;
        if (request.Body.IsEmpty)
        {
            if (route.Id is null)
            {
                return FhirResponse.Error(400, IssueType.Required, "$validate needs a resource in the body.");
            }
            var stored = await ctx.Store.ReadAsync(request.Tenant, route.Type!, route.Id, ct).ConfigureAwait(false);
            if (stored is null)
            {
                return Responses.NotFound(route.Type!, route.Id);
            }
            if (stored.IsDeleted)
            {
                return Responses.Gone(stored);
            }
            resource = FhirJsonParser.R4.Parse(stored.Json).Resource;
        }
        else
        {
            var parsed = FhirJsonParser.R4.Parse(request.Body);
            if (parsed.Resource is null)
            {
                return FhirResponse.Outcome(200, parsed.Issues);
            }
            resource = parsed.Resource;
            if (resource.TypeName == "Parameters" && route.Type != "Parameters")
            {
                resource = resource.ChildrenNamed("parameter")
                    .FirstOrDefault(p => p.Child("name")?.Text == "resource")?.Child("resource");
                if (resource is null)
                {
                    return FhirResponse.Error(400, IssueType.Required, "The Parameters has no 'resource' parameter.");
                }
            }
        }
        if (resource is null)
        {
            return FhirResponse.Error(500, IssueType.Exception, "The stored resource could not be read.");
        }
        var issues = new List<Issue>();
        if (resource.TypeName != route.Type)
        {
            issues.Add(Issue.Error(IssueType.Invalid, $"Expected a {route.Type} but found {resource.TypeName}."));
        }
        if (route.Id is not null && resource.ResourceId is { } bodyId && bodyId != route.Id)
        {
            issues.Add(Issue.Error(IssueType.Invalid, $"The resource id '{bodyId}' does not match '{route.Id}'."));
        }
        issues.AddRange(ctx.Validator.Validate(resource));
        return FhirResponse.Outcome(200, issues);
    }
}
