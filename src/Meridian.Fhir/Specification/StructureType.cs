using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Meridian.Fhir.Specification;

public enum TypeKind { Primitive, Complex, Resource, Logical, Backbone }

/// <summary>How a JSON property name maps onto an element: for <c>valueQuantity</c>, the
/// element <c>value[x]</c> with type <c>Quantity</c>.</summary>
public sealed record ChildSlot(ElementDefinition Element, string TypeCode);

/// <summary>
/// A FHIR type (resource, data type, primitive) or the anonymous structure of a backbone
/// element (<c>Patient.contact</c>), with its direct children in spec order.
/// </summary>
public sealed class StructureType
{
    private FrozenDictionary<string, ChildSlot> _byJsonName = FrozenDictionary<string, ChildSlot>.Empty;
    private FrozenDictionary<string, ElementDefinition> _byName = FrozenDictionary<string, ElementDefinition>.Empty;
    private Regex? _regex;

    internal StructureType(string name, string url, TypeKind kind, bool isAbstract, string? baseName, string? regex)
    {
        Name = name;
        Url = url;
        Kind = kind;
        IsAbstract = isAbstract;
        BaseName = baseName;
        RegexPattern = regex;
    }

    /// <summary>Type name (<c>Patient</c>, <c>HumanName</c>, <c>date</c>) or, for a backbone, its path.</summary>
    public string Name { get; }
    public string Url { get; }
    public TypeKind Kind { get; }
    public bool IsAbstract { get; }
    public string? BaseName { get; }
    public StructureType? Base { get; internal set; }
    public bool IsResource => Kind == TypeKind.Resource;
    public bool IsPrimitive => Kind == TypeKind.Primitive;

    /// <summary>The root element (constraints that apply to every instance, e.g. dom-2).</summary>
    public ElementDefinition? Root { get; internal set; }
    public ImmutableArray<ElementDefinition> Children { get; private set; } = [];

    /// <summary>The FHIR type name FHIRPath reports for instances: backbones report
    /// <c>BackboneElement</c> (or <c>Element</c>), everything else its own name.</summary>
    public string FhirPathTypeName { get; internal set; } = "";

    /// <summary>For primitives, the spec's regex for the value (anchored).</summary>
    public string? RegexPattern { get; }
    /// <remarks>Non-backtracking: the spec's patterns need no lookaround or back-reference,
    /// and this engine matches in time linear in the input, so no match timeout is needed.
    /// A wall-clock timeout (the earlier guard) also fired on a loaded machine while the
    /// first match was still being compiled, failing valid input for no reason of its own.</remarks>
    public Regex? ValueRegex => _regex ??= RegexPattern is null
        ? null
        : new Regex("^(?:" + RegexPattern + ")$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    internal void SetChildren(IEnumerable<ElementDefinition> children)
    {
        Children = [.. children.OrderBy(c => c.Order)];
        var byJson = new Dictionary<string, ChildSlot>(StringComparer.Ordinal);
        var byName = new Dictionary<string, ElementDefinition>(StringComparer.Ordinal);
        foreach (var c in Children)
        {
            byName[c.Name] = c;
            if (c.IsChoice)
            {
                foreach (var t in c.Types)
                {
                    byJson[c.Name + UpperFirst(t.Code)] = new ChildSlot(c, t.Code);
                }
            }
            else
            {
                var code = c.Types.Length > 0 ? c.Types[0].Code : "BackboneElement";
                byJson[c.Name] = new ChildSlot(c, code);
            }
        }
        _byJsonName = byJson.ToFrozenDictionary(StringComparer.Ordinal);
        _byName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Finds the element for a JSON property name (without a leading underscore).</summary>
    public ChildSlot? FindByJsonName(string jsonName) => _byJsonName.GetValueOrDefault(jsonName);

    /// <summary>Finds the element by its FHIRPath name (<c>value</c> for <c>value[x]</c>).</summary>
    public ElementDefinition? FindByName(string name) => _byName.GetValueOrDefault(name);

    /// <summary>True when this type is <paramref name="typeName"/> or derives from it.</summary>
    public bool IsA(string typeName)
    {
        for (var t = this; t is not null; t = t.Base)
        {
            if (t.Name == typeName)
            {
                return true;
            }
        }
        return false;
    }

    public static string UpperFirst(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    public override string ToString() => Name;
}
