using System.Collections.Frozen;
using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search.Internal;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.Search;

/// <summary>
/// Extracts the search index values of a resource for every search parameter of its type.
/// All expressions are compiled once, at construction, into per-resource-type plans (a
/// multi-base expression such as <c>Patient.name.family | Practitioner.name.family</c> keeps
/// only the branches of that type). Immutable and thread-safe: share one instance.
/// </summary>
public sealed class SearchIndexer
{
    private static readonly Lazy<SearchIndexer> s_r4 = new(() => new SearchIndexer(FhirSpec.R4, FhirPathEngine.R4, UcumService.Default), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, ImmutableArray<ParameterPlan>> _plans;
    private readonly ValueConverter _converter;

    /// <summary>The indexer for the embedded R4 specification.</summary>
    public static SearchIndexer R4 => s_r4.Value;

    public SearchIndexer(FhirSpec spec, FhirPathEngine fhirPath, UcumService ucum)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(fhirPath);
        ArgumentNullException.ThrowIfNull(ucum);
        Spec = spec;
        _converter = new ValueConverter(spec, ucum);
        var compiler = new PlanCompiler(spec, fhirPath, _converter);
        var plans = new Dictionary<string, ImmutableArray<ParameterPlan>>(StringComparer.Ordinal);
        foreach (var type in spec.ResourceTypes)
        {
            plans[type] = compiler.CompileFor(type);
        }
        _plans = plans.ToFrozenDictionary(StringComparer.Ordinal);
        Skipped = compiler.Skipped;
    }

    public FhirSpec Spec { get; }

    /// <summary>Parameters that index nothing, with the reason.</summary>
    public ImmutableArray<SkippedParameter> Skipped { get; }

    internal ImmutableArray<ParameterPlan> PlansFor(string resourceType) => _plans.GetValueOrDefault(resourceType, []);

    /// <summary>The parameters <see cref="Extract"/> can yield rows for on a resource type (for a
    /// CapabilityStatement, or to tell "not indexed" from "no value").</summary>
    public ImmutableArray<SearchParameterDefinition> IndexedParameters(string resourceType)
    {
        var plans = PlansFor(resourceType);
        var result = ImmutableArray.CreateBuilder<SearchParameterDefinition>(plans.Length);
        foreach (var p in plans)
        {
            result.Add(p.Definition);
        }
        return result.MoveToImmutable();
    }

    /// <summary>The index values of <paramref name="resource"/> for every parameter of its type.</summary>
    public ImmutableArray<SearchIndexEntry> Extract(FhirNode resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!_plans.TryGetValue(resource.TypeName, out var plans))
        {
            return [];
        }
        var nodes = new List<FhirNode>(16);
        var values = new List<SearchValue>(16);
        var entries = ImmutableArray.CreateBuilder<SearchIndexEntry>(32);
        CompositeBuilder? composites = null;
        foreach (var plan in plans)
        {
            nodes.Clear();
            values.Clear();
            plan.Selector.Select(resource, resource, nodes);
            if (nodes.Count == 0)
            {
                continue;
            }
            if (plan.Components.IsDefaultOrEmpty)
            {
                var type = plan.Definition.Type;
                foreach (var node in nodes)
                {
                    _converter.Convert(type, node, resource, values);
                }
            }
            else
            {
                composites ??= new CompositeBuilder(_converter);
                composites.Build(plan.Components, nodes, resource, values);
            }
            AddDistinct(plan.Definition, values, entries);
        }
        return entries.DrainToImmutable();
    }

    /// <summary>Unions may select equal values twice (e.g. the same code from two paths): one row each is enough.</summary>
    private static void AddDistinct(SearchParameterDefinition parameter, List<SearchValue> values, ImmutableArray<SearchIndexEntry>.Builder entries)
    {
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            var duplicate = false;
            for (var j = 0; j < i && !duplicate; j++)
            {
                duplicate = values[j].Equals(v);
            }
            if (!duplicate)
            {
                entries.Add(new SearchIndexEntry(parameter, v));
            }
        }
    }
}
