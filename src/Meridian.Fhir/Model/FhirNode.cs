using System.Collections.Immutable;
using System.Text;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Model;

/// <summary>What a node's <see cref="FhirNode.Text"/> holds.</summary>
public enum ValueKind
{
    /// <summary>No primitive value (complex element, resource, or a primitive with only extensions).</summary>
    None,
    /// <summary>A JSON string.</summary>
    String,
    /// <summary>A JSON number; <see cref="FhirNode.Text"/> is its exact source text, so 1.50 stays 1.50.</summary>
    Number,
    /// <summary>A JSON boolean: "true" or "false".</summary>
    Boolean,
    /// <summary>An element the spec does not know: <see cref="FhirNode.Text"/> is its raw JSON, kept
    /// so nothing is lost, and validation reports it.</summary>
    Unknown,
}

/// <summary>
/// One element of a FHIR resource as a typed tree: the model the serializer, FHIRPath,
/// search extraction and validation share. Nodes are immutable once built; a node knows its
/// parent so a location (FHIRPath expression) can be given for any of them.
/// </summary>
public sealed class FhirNode
{
    private string? _location;

    internal FhirNode(string name, string typeName, StructureType? type, ElementDefinition? definition,
        ValueKind kind, string? text, ImmutableArray<FhirNode> children)
    {
        Name = name;
        TypeName = typeName;
        Type = type;
        Definition = definition;
        Kind = kind;
        Text = text;
        Children = children;
        for (var i = 0; i < children.Length; i++)
        {
            var c = children[i];
            c.Parent = this;
            c.Index = i > 0 && children[i - 1].Name == c.Name ? children[i - 1].Index + 1 : 0;
        }
    }

    /// <summary>Element name as FHIRPath sees it (<c>value</c> for <c>valueQuantity</c>); for a
    /// root resource, its resource type.</summary>
    public string Name { get; }

    /// <summary>FHIR type of this node: <c>Quantity</c>, <c>string</c>, <c>Patient</c>, <c>BackboneElement</c>.</summary>
    public string TypeName { get; }

    /// <summary>The structure that describes this node's children: a named type, a backbone, or
    /// null for elements the spec does not know.</summary>
    public StructureType? Type { get; }

    /// <summary>The element this node instantiates, or null for a root resource or an unknown element.</summary>
    public ElementDefinition? Definition { get; }

    public ValueKind Kind { get; }

    /// <summary>The primitive value as text (exact JSON number text for numbers), or null.</summary>
    public string? Text { get; }

    /// <summary>Children in the spec's order; the items of a repeating element are adjacent.</summary>
    public ImmutableArray<FhirNode> Children { get; }

    public FhirNode? Parent { get; private set; }

    /// <summary>Position among the siblings with the same name.</summary>
    public int Index { get; private set; }

    public bool HasValue => Kind is ValueKind.String or ValueKind.Number or ValueKind.Boolean;
    public bool IsResource => Type is { Kind: TypeKind.Resource };
    public bool IsPrimitive => Type is { Kind: TypeKind.Primitive };

    /// <summary>The JSON property name: <c>valueQuantity</c> for a choice element.</summary>
    public string JsonName => Definition is { IsChoice: true } ? Name + StructureType.UpperFirst(TypeName) : Name;

    /// <summary>The resource this node belongs to (itself, for a resource).</summary>
    public FhirNode? Resource
    {
        get
        {
            for (var n = this; n is not null; n = n.Parent)
            {
                if (n.IsResource)
                {
                    return n;
                }
            }
            return null;
        }
    }

    /// <summary>The resource's id, for a resource node.</summary>
    public string? ResourceId => IsResource ? Child("id")?.Text : null;

    /// <summary>A FHIRPath expression that selects this node from the root, e.g. <c>Patient.name[0].given[1]</c>.</summary>
    public string Location => _location ??= BuildLocation();

    private string BuildLocation()
    {
        if (Parent is null)
        {
            return Name;
        }
        var sb = new StringBuilder(Parent.Location).Append('.').Append(Name);
        if (Definition is null || Definition.IsCollection)
        {
            sb.Append('[').Append(Index).Append(']');
        }
        return sb.ToString();
    }

    /// <summary>The first child with this FHIRPath name, or null.</summary>
    public FhirNode? Child(string name)
    {
        foreach (var c in Children)
        {
            if (c.Name == name)
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>All children with this FHIRPath name.</summary>
    public IEnumerable<FhirNode> ChildrenNamed(string name)
    {
        foreach (var c in Children)
        {
            if (c.Name == name)
            {
                yield return c;
            }
        }
    }

    /// <summary>Every node below this one, depth first.</summary>
    public IEnumerable<FhirNode> Descendants()
    {
        foreach (var c in Children)
        {
            yield return c;
            foreach (var d in c.Descendants())
            {
                yield return d;
            }
        }
    }

    public override string ToString() => Text is null ? $"{Location} : {TypeName}" : $"{Location} : {TypeName} = {Text}";
}
