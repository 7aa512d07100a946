using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Parsing;

namespace Meridian.Api.Interactions;

/// <summary>
/// Compartment search: <c>GET [base]/Patient/[id]/[type]?…</c> (and <c>POST …/_search</c>), or
/// every member type with <c>[type]</c> = <c>*</c>. The compartments are the spec's
/// CompartmentDefinitions (Patient, Encounter, RelatedPerson, Practitioner, Device); a resource
/// is in one when any of the definition's reference parameters for its type points at the
/// compartment's resource. That resource need not exist (the search is then simply empty).
/// </summary>
internal static class CompartmentSearchInteraction
{
    public static Task<FhirResponse> HandleAsync(FhirRequest request, Route route, InteractionContext ctx, CancellationToken ct)
    {
        var compartmentType = route.Type!;
        var id = route.Id!;
        var target = route.Target!;
        var definition = ctx.Spec.FindCompartment(compartmentType);
        if (definition is null)
        {
            return Task.FromResult(FhirResponse.Error(404, IssueType.NotFound, $"'{compartmentType}' is not a compartment (compartments: Patient, Encounter, RelatedPerson, Practitioner, Device)."));
        }
        var path = $"{compartmentType}/{id}/{target}";
        if (target == "*")
        {
            var all = CompartmentMembership.AllTypes(ctx.Spec, definition, id);
            return SearchInteraction.HandleScopedAsync(request, new SearchScope(null, path, AllTypesFilter: all ?? new IdExpression([])), ctx, ct);
        }
        if (!ctx.Spec.IsResourceType(target))
        {
            return Task.FromResult(FhirResponse.Error(404, IssueType.NotSupported, $"'{target}' is not a resource type this server knows."));
        }
        if (target != compartmentType && definition.ParamsFor(target).IsEmpty)
        {
            return Task.FromResult(FhirResponse.Error(404, IssueType.NotFound, $"{target} is not in the {compartmentType} compartment."));
        }
        return SearchInteraction.HandleScopedAsync(request, new SearchScope(target, path, new SearchCompartment(compartmentType, id)), ctx, ct);
    }
}
