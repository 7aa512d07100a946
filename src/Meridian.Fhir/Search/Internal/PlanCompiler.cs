using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Compiles search parameter expressions into selectors, per resource type. Construction-time
/// only (not thread-safe, not kept): the indexer holds just the resulting plans.
/// </summary>
internal sealed class PlanCompiler(FhirSpec spec, ValueConverter converter)
{
    private readonly Dictionary<string, SkippedParameter> _skipped = new(StringComparer.Ordinal);

    public ImmutableArray<SkippedParameter> Skipped => [.. _skipped.Values.OrderBy(s => s.Parameter.Url, StringComparer.Ordinal)];

    public ImmutableArray<ParameterPlan> CompileFor(string resourceType)
    {
        var type = spec.FindType(resourceType)!;
        var plans = ImmutableArray.CreateBuilder<ParameterPlan>();
        foreach (var p in spec.SearchParametersFor(resourceType))
        {
            if (p.Expression is null)
            {
                Skip(p, "no expression in the specification: the parameter is evaluated at query time or is not defined for indexing");
                continue;
            }
            var selector = CompileFor(p.Expression, type, out var error);
            if (selector is null)
            {
                if (error is not null)
                {
                    Skip(p, error);
                }
                continue; // no branch of the expression applies to this type
            }
            var components = ImmutableArray<ComponentPlan>.Empty;
            if (p.Type == SearchParamType.Composite)
            {
                components = CompileComponents(p);
                if (components.IsDefaultOrEmpty)
                {
                    continue;
                }
            }
            plans.Add(new ParameterPlan(p, selector, components));
        }
        return plans.ToImmutable();
    }

    /// <summary>A selector for the branches of <paramref name="expression"/> that can apply to
    /// <paramref name="type"/>; null with a null error when none does.</summary>
    private INodeSelector? CompileFor(string expression, StructureType type, out string? error)
    {
        error = null;
        if (PathPlanParser.TryParse(expression, spec, out var branches))
        {
            var kept = branches.Where(b => b[0].Kind != StepKind.FocusIs || type.IsA(b[0].Arg)).ToImmutableArray();
            return kept.IsEmpty ? null : new PathPlan(kept, converter, spec);
        }
        error = "expression is outside the navigation subset and no FHIRPath engine is available";
        return null;
    }

    private ImmutableArray<ComponentPlan> CompileComponents(SearchParameterDefinition p)
    {
        var components = ImmutableArray.CreateBuilder<ComponentPlan>(p.Components.Length);
        foreach (var c in p.Components)
        {
            var definition = spec.FindSearchParameterByUrl(c.Definition);
            if (definition is null)
            {
                Skip(p, $"component definition {c.Definition} is not in the specification");
                return [];
            }
            if (!PathPlanParser.TryParse(c.Expression, spec, out var branches))
            {
                Skip(p, $"component expression '{c.Expression}' is outside the navigation subset");
                return [];
            }
            components.Add(new ComponentPlan(definition.Type, new PathPlan(branches, converter, spec)));
        }
        return components.MoveToImmutable();
    }

    private void Skip(SearchParameterDefinition p, string reason) => _skipped.TryAdd(p.Url, new SkippedParameter(p, reason));
}
