using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Compiles search parameter expressions into selectors, per resource type. Construction-time
/// only (not thread-safe, not kept): the indexer holds just the resulting plans.
/// </summary>
internal sealed class PlanCompiler(FhirSpec spec, FhirPathEngine fhirPath, ValueConverter converter)
{
    private readonly Dictionary<string, SkippedParameter> _skipped = new(StringComparer.Ordinal);

    // Component selectors are shared by expression, so composites that repeat a component
    // (Observation's eight all start with "code") can reuse its converted values.
    private readonly Dictionary<(string Expression, SearchParamType Type), ComponentPlan> _components = [];

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
    /// <paramref name="type"/>; null with a null error when none does. Every expression is
    /// compiled by the FHIRPath engine (so the engine vouches for it); navigation-only ones run
    /// as a <see cref="PathPlan"/>, which selects the same nodes without allocating.</summary>
    private INodeSelector? CompileFor(string expression, StructureType? type, out string? error)
    {
        var engineCompiled = fhirPath.TryCompile(expression, out var compiled, out error);
        if (PathPlanParser.TryParse(expression, spec, out var branches))
        {
            // The navigation subset also covers functions the engine may lack (hasExtension,
            // which FHIR R4 search expressions use but FHIRPath N1 does not define).
            error = null;
            var kept = type is null ? branches : KeepBranchesOf(branches, type);
            return kept.IsEmpty ? null : new PathPlan(kept, converter, spec);
        }
        if (!engineCompiled)
        {
            error = "FHIRPath: " + error;
            return null;
        }
        return new EngineSelector(compiled!, spec);
    }

    /// <summary>The branches that can select from a <paramref name="type"/> resource. Their leading
    /// type test always holds for that resource (the plan's only focus), so it is dropped.</summary>
    private static ImmutableArray<ImmutableArray<PathStep>> KeepBranchesOf(ImmutableArray<ImmutableArray<PathStep>> branches, StructureType type)
    {
        var kept = ImmutableArray.CreateBuilder<ImmutableArray<PathStep>>();
        foreach (var b in branches)
        {
            if (b[0].Kind != StepKind.FocusIs)
            {
                kept.Add(b);
            }
            else if (type.IsA(b[0].Arg))
            {
                kept.Add(b.RemoveAt(0));
            }
        }
        return kept.ToImmutable();
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
            if (_components.TryGetValue((c.Expression, definition.Type), out var shared))
            {
                components.Add(shared);
                continue;
            }
            if (CompileFor(c.Expression, null, out var error) is not { } selector)
            {
                Skip(p, $"component expression '{c.Expression}': {error}");
                return [];
            }
            var component = new ComponentPlan(definition.Type, selector);
            _components[(c.Expression, definition.Type)] = component;
            components.Add(component);
        }
        return components.MoveToImmutable();
    }

    private void Skip(SearchParameterDefinition p, string reason) => _skipped.TryAdd(p.Url, new SkippedParameter(p, reason));
}
