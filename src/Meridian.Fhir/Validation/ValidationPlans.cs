using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Validation;

/// <summary>Data types whose instances get a dedicated check.</summary>
internal enum SpecialType { None, Reference, Coding, CodeableConcept, Extension }

/// <summary>What to check on every instance of one structure (type or backbone), computed once.</summary>
internal sealed class TypePlan(StructureType type)
{
    public StructureType Type { get; } = type;
    public PrimitiveKind Primitive { get; init; }
    public ValueKind JsonKind { get; init; }
    public Regex? Fallback { get; init; }
    public SpecialType Special { get; init; }
    public bool IsDomainResource { get; init; }

    /// <summary>Children with min ≥ 1.</summary>
    public ImmutableArray<ElementDefinition> Required { get; init; } = [];

    /// <summary>Error constraints of the structure's root that are evaluated by FHIRPath.</summary>
    public ImmutableArray<CompiledConstraint> Invariants { get; init; } = [];
}

/// <summary>What to check on every node of one element definition, computed once; only
/// elements with something to check have a plan.</summary>
internal sealed class ElementPlan
{
    /// <summary>Expansion of the required binding, when it can be enumerated.</summary>
    public ExpandedValueSet? ValueSet { get; init; }

    /// <summary>Allowed Reference target types; null when any resource may be referenced.</summary>
    public FrozenSet<string>? TargetTypes { get; init; }

    public int? MaxLength { get; init; }

    /// <summary>Error constraints of the element evaluated by FHIRPath (ele-1/ext-1 are native).</summary>
    public ImmutableArray<CompiledConstraint> Invariants { get; init; } = [];

    public bool IsEmpty => ValueSet is null && TargetTypes is null && MaxLength is null && Invariants.IsEmpty;
}

/// <summary>Builds the type and element plans for a whole specification, once.</summary>
internal sealed class ValidationPlans
{
    private readonly FrozenDictionary<StructureType, TypePlan> _types;
    private readonly FrozenDictionary<ElementDefinition, ElementPlan> _elements;

    public ValidationPlans(FhirSpec spec, ConstraintCompiler constraints)
    {
        var types = new Dictionary<StructureType, TypePlan>();
        var elements = new Dictionary<ElementDefinition, ElementPlan>();
        var pending = new Stack<StructureType>(spec.Types);
        while (pending.Count > 0)
        {
            var st = pending.Pop();
            if (types.ContainsKey(st))
            {
                continue;
            }
            types[st] = BuildType(st, constraints);
            foreach (var e in st.Children)
            {
                if (e.Backbone is { } bb && !types.ContainsKey(bb))
                {
                    pending.Push(bb);
                }
                if (!elements.ContainsKey(e) && BuildElement(e, spec, constraints) is { IsEmpty: false } plan)
                {
                    elements[e] = plan;
                }
            }
        }
        _types = types.ToFrozenDictionary();
        _elements = elements.ToFrozenDictionary();
    }

    public TypePlan? For(StructureType type) => _types.GetValueOrDefault(type);

    public ElementPlan? For(ElementDefinition element) => _elements.GetValueOrDefault(element);

    public IEnumerable<TypePlan> AllTypes => _types.Values;

    public IEnumerable<ElementPlan> AllElements => _elements.Values;

    private static TypePlan BuildType(StructureType st, ConstraintCompiler constraints)
    {
        var primitive = st.IsPrimitive ? PrimitiveFormats.KindOf(st.Name) : PrimitiveKind.Other;
        var special = st.Kind == TypeKind.Primitive ? SpecialType.None
            : st.IsA("Reference") ? SpecialType.Reference
            : st.IsA("Coding") ? SpecialType.Coding
            : st.IsA("CodeableConcept") ? SpecialType.CodeableConcept
            : st.IsA("Extension") ? SpecialType.Extension
            : SpecialType.None;
        var required = ImmutableArray.CreateBuilder<ElementDefinition>();
        foreach (var c in st.Children)
        {
            // A primitive's "value" is its JSON value, not a child; its presence is not a cardinality.
            if (c.Min > 0 && !(st.IsPrimitive && c.Name == "value"))
            {
                required.Add(c);
            }
        }
        // A backbone's root is the element that declares it: its constraints also apply where
        // the backbone is reused through a content reference (Questionnaire.item.item).
        var rootConstraints = st.Root is null ? [] : constraints.For(st.Root);
        return new TypePlan(st)
        {
            Primitive = primitive,
            JsonKind = st.IsPrimitive ? PrimitiveFormats.JsonKindOf(primitive) : ValueKind.None,
            Fallback = st.IsPrimitive && primitive == PrimitiveKind.Other ? st.ValueRegex : null,
            Special = special,
            IsDomainResource = st.IsResource && st.IsA("DomainResource"),
            Required = required.ToImmutable(),
            Invariants = rootConstraints,
        };
    }

    private static ElementPlan BuildElement(ElementDefinition e, FhirSpec spec, ConstraintCompiler constraints)
    {
        ExpandedValueSet? vs = null;
        if (e.Binding == BindingStrength.Required && e.BindingValueSet is { } url && spec.FindValueSet(url) is { IsEnumerable: true } expanded)
        {
            vs = expanded;
        }
        FrozenSet<string>? targets = null;
        var anyTarget = false;
        var targetList = new List<string>();
        foreach (var t in e.Types)
        {
            if (t.Code != "Reference")
            {
                continue;
            }
            if (t.TargetTypes.IsDefaultOrEmpty)
            {
                anyTarget = true;
            }
            foreach (var target in t.TargetTypes)
            {
                if (target is "Resource" or "DomainResource" or "Any")
                {
                    anyTarget = true;
                }
                targetList.Add(target);
            }
        }
        if (!anyTarget && targetList.Count > 0)
        {
            targets = targetList.ToFrozenSet(StringComparer.Ordinal);
        }
        return new ElementPlan
        {
            ValueSet = vs,
            TargetTypes = targets,
            MaxLength = e.MaxLength,
            Invariants = constraints.For(e).AddRange(TypeProfileConstraints(e, spec, constraints)),
        };
    }

    // A data type profile on the element's type (Quantity with SimpleQuantity or MoneyQuantity)
    // adds the profile's own constraints (sqty-1: no comparator). Only for single-type elements:
    // for a choice the profile would apply to one of its types only.
    private static ImmutableArray<CompiledConstraint> TypeProfileConstraints(ElementDefinition e, FhirSpec spec, ConstraintCompiler constraints)
    {
        if (e.Types.Length != 1 || e.Types[0].Profiles.IsDefaultOrEmpty)
        {
            return [];
        }
        var inherited = spec.FindType(e.Types[0].Code)?.Root?.Constraints.Select(c => c.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        var result = ImmutableArray.CreateBuilder<CompiledConstraint>();
        foreach (var url in e.Types[0].Profiles)
        {
            if (spec.FindTypeByUrl(url)?.Root is { } root)
            {
                result.AddRange(constraints.For(root).Where(c => !inherited.Contains(c.Key)));
            }
        }
        return result.ToImmutable();
    }
}
