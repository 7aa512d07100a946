using System.Collections.Immutable;

namespace Meridian.Fhir.Specification;

public enum BindingStrength { None, Example, Preferred, Extensible, Required }

public sealed record TypeRef(string Code, ImmutableArray<string> TargetProfiles, ImmutableArray<string> Profiles)
{
    /// <summary>Resource type names a Reference of this type may point to (empty: any).</summary>
    public ImmutableArray<string> TargetTypes { get; } = TargetProfiles.IsDefaultOrEmpty
        ? []
        : [.. TargetProfiles.Select(p => p[(p.LastIndexOf('/') + 1)..])];
}

public sealed record Constraint(string Key, string Severity, string Expression, string Human)
{
    public bool IsError => Severity == "error";
}

/// <summary>One element of a structure, from the snapshot. Immutable once the spec is loaded.</summary>
public sealed class ElementDefinition
{
    internal ElementDefinition(PackElement e, int order)
    {
        Path = e.Path;
        var last = Path[(Path.LastIndexOf('.') + 1)..];
        IsChoice = last.EndsWith("[x]", StringComparison.Ordinal);
        Name = IsChoice ? last[..^3] : last;
        Min = e.Min;
        Max = e.Max == "*" ? int.MaxValue : int.Parse(e.Max, System.Globalization.CultureInfo.InvariantCulture);
        Types = e.Types is null
            ? []
            : [.. e.Types.Select(t => new TypeRef(t.Code, [.. t.TargetProfiles ?? []], [.. t.Profiles ?? []]))];
        ContentReference = e.ContentReference;
        Binding = e.BindingStrength switch
        {
            "required" => BindingStrength.Required,
            "extensible" => BindingStrength.Extensible,
            "preferred" => BindingStrength.Preferred,
            "example" => BindingStrength.Example,
            _ => BindingStrength.None,
        };
        BindingValueSet = e.BindingValueSet;
        Constraints = e.Constraints is null
            ? []
            : [.. e.Constraints.Select(c => new Constraint(c.Key, c.Severity, c.Expression, c.Human))];
        IsSummary = e.Summary;
        IsModifier = e.Modifier;
        MaxLength = e.MaxLength;
        Order = order;
    }

    /// <summary>Full path in its structure, e.g. <c>Patient.contact.name</c> or <c>Observation.value[x]</c>.</summary>
    public string Path { get; }
    /// <summary>Element name as FHIRPath sees it: <c>value</c> for <c>value[x]</c>.</summary>
    public string Name { get; }
    public bool IsChoice { get; }
    public int Min { get; }
    /// <summary><see cref="int.MaxValue"/> for <c>*</c>.</summary>
    public int Max { get; }
    public bool IsCollection => Max > 1;
    public ImmutableArray<TypeRef> Types { get; }
    public string? ContentReference { get; }
    public BindingStrength Binding { get; }
    public string? BindingValueSet { get; }
    public ImmutableArray<Constraint> Constraints { get; }
    public bool IsSummary { get; }
    public bool IsModifier { get; }
    public int? MaxLength { get; }
    /// <summary>Position among its siblings in the spec: the order JSON output follows.</summary>
    public int Order { get; }

    /// <summary>For BackboneElement/Element children and content references: the anonymous
    /// structure that describes this element's own children.</summary>
    public StructureType? Backbone { get; internal set; }

    public override string ToString() => Path;
}
