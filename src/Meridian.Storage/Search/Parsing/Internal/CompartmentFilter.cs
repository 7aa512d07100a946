using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// The condition "in compartment Type/id" for one resource type, from the spec's
/// CompartmentDefinition: any of its reference parameters points at the compartment's
/// resource, or it is the compartment's resource itself.
/// </summary>
internal static class CompartmentFilter
{
    public static Parsed<SearchExpression> Build(FhirSpec spec, SearchCompartment compartment, string? resourceType)
    {
        if (resourceType is null)
        {
            return Parsed<SearchExpression>.Fail("a compartment search needs a resource type", IssueType.NotSupported);
        }
        var definition = spec.FindCompartment(compartment.Type);
        if (definition is null)
        {
            return Parsed<SearchExpression>.Fail($"'{compartment.Type}' is not a compartment", IssueType.NotFound);
        }
        if (compartment.Id.Length == 0)
        {
            return Parsed<SearchExpression>.Fail("the compartment id is empty");
        }
        var operands = ImmutableArray.CreateBuilder<SearchExpression>();
        if (resourceType == compartment.Type)
        {
            // The compartment's own resource is in it (spec: "{def}"; the R4 pack lists only links).
            operands.Add(new IdExpression([compartment.Id]));
        }
        foreach (var code in definition.ParamsFor(resourceType))
        {
            if (code != "{def}" && spec.FindSearchParameter(resourceType, code) is { Type: SearchParamType.Reference })
            {
                operands.Add(new ParameterExpression(code, new ReferencePredicate(compartment.Type, compartment.Id)));
            }
        }
        return operands.Count switch
        {
            0 => Parsed<SearchExpression>.Fail($"{resourceType} is not in the {compartment.Type} compartment", IssueType.NotFound),
            1 => Parsed<SearchExpression>.Ok(operands[0]),
            _ => Parsed<SearchExpression>.Ok(new OrExpression(operands.ToImmutable())),
        };
    }
}
