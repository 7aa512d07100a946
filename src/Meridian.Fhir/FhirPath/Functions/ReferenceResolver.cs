using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>
/// resolve(): contained resources (#id), then the enclosing Bundle's entries (by fullUrl or
/// Type/id), then the host's <see cref="EvaluationContext.Resolver"/>. A literal "Type/id" that is
/// not found still resolves to a typed placeholder, so search expressions such as
/// <c>subject.where(resolve() is Patient)</c> work without a data store.
/// </summary>
internal static class ReferenceResolver
{
    /// <summary>The type <c>resolve()</c> would produce, without building a placeholder node: the
    /// fast path for the ubiquitous search idiom <c>reference.where(resolve() is Patient)</c>.</summary>
    public static StructureType? ResolveType(Scope s, FhirNode? from, string reference)
    {
        if (!reference.StartsWith('#') && s.Context?.Resolver is null && from?.Parent is { } p && p.Resource is { TypeName: not "Bundle", Parent: null }
            && s.Context?.RootResource is null)
        {
            // Not contained, no Bundle above, no host resolver: only the literal reference can answer.
            return PlaceholderType(s, reference, out _, out _);
        }
        return Resolve(s, from, reference)?.Type;
    }

    public static FhirNode? Resolve(Scope s, FhirNode? from, string reference)
    {
        if (reference.StartsWith('#'))
        {
            return Contained(from ?? s.Resource, reference[1..]);
        }
        var root = s.RootResource;
        var entry = FromBundle(from ?? s.Focus, reference) ?? (root is { TypeName: "Bundle" } ? FromEntries(root, reference) : null);
        if (entry is not null)
        {
            return entry;
        }
        if (s.Context?.Resolver is { } resolver && resolver(reference) is { } resolved)
        {
            return resolved;
        }
        return Placeholder(s, reference);
    }

    private static FhirNode? Contained(FhirNode? from, string id)
    {
        // The container is the nearest resource that is not itself a contained resource.
        var container = from?.Resource;
        while (container is { Name: "contained", Parent: not null })
        {
            container = container.Parent.Resource;
        }
        if (container is null)
        {
            return null;
        }
        if (id.Length == 0)
        {
            return container;
        }
        foreach (var c in container.Children)
        {
            if (c.Name == "contained" && c.ResourceId == id)
            {
                return c;
            }
        }
        return null;
    }

    private static FhirNode? FromBundle(FhirNode from, string reference)
    {
        for (var n = from.Parent; n is not null; n = n.Parent)
        {
            if (n.IsResource && n.TypeName == "Bundle")
            {
                return FromEntries(n, reference);
            }
        }
        return null;
    }

    private static FhirNode? FromEntries(FhirNode bundle, string reference)
    {
        var relative = !reference.Contains("://", StringComparison.Ordinal) && !reference.StartsWith("urn:", StringComparison.Ordinal);
        foreach (var entry in bundle.Children)
        {
            if (entry.Name != "entry" || entry.Child("resource") is not { } resource)
            {
                continue;
            }
            var fullUrl = entry.Child("fullUrl")?.Text;
            if (fullUrl == reference)
            {
                return resource;
            }
            if (relative && (fullUrl?.EndsWith("/" + reference, StringComparison.Ordinal) == true
                || reference == resource.TypeName + "/" + resource.ResourceId))
            {
                return resource;
            }
        }
        return null;
    }

    /// <summary>A resource node with only type and id, for a reference "Type/id" (absolute or relative, _history stripped).</summary>
    private static FhirNode? Placeholder(Scope s, string reference)
    {
        if (PlaceholderType(s, reference, out var idStart, out var idLength) is not { } type)
        {
            return null;
        }
        var idNode = new FhirNode("id", "id", s.Spec.FindType("id"), type.FindByName("id"), ValueKind.String, reference.Substring(idStart, idLength), []);
        return new FhirNode(type.Name, type.Name, type, null, ValueKind.None, null, ImmutableArray.Create(idNode));
    }

    private static StructureType? PlaceholderType(Scope s, string reference, out int idStart, out int idLength)
    {
        idStart = idLength = 0;
        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        var r = history >= 0 ? reference.AsSpan(0, history) : reference.AsSpan();
        var slash = r.LastIndexOf('/');
        if (slash <= 0 || slash == r.Length - 1)
        {
            return null;
        }
        var typeStart = r[..slash].LastIndexOf('/') + 1;
        idStart = slash + 1;
        idLength = r.Length - idStart;
        return s.Engine.FindResourceType(r[typeStart..slash]);
    }
}
