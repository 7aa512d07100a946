using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>Member access: children by FHIRPath name, and type names as the first step of a path.</summary>
internal static class Navigation
{
    public static IReadOnlyList<object> Children(IReadOnlyList<object> input, string name, bool first)
    {
        if (input.Count == 1)
        {
            // A type step on a single resource ("Patient." on a Patient) returns the input itself.
            if (first && input[0] is FhirNode n && char.IsAsciiLetterUpper(name[0]) && IsTypeStep(n, name))
            {
                return input;
            }
            return ChildrenOf(input[0], name, first) ?? Items.Empty;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            result = ChildrenInto(input[i], name, first, result);
        }
        return result is null ? Items.Empty : result;
    }

    /// <summary>A leading type name: keeps the focus items that are (or derive from) that type.</summary>
    public static IReadOnlyList<object> TypeStep(IReadOnlyList<object> input, string name)
    {
        if (input.Count == 1)
        {
            return input[0] is FhirNode n && IsTypeStep(n, name) ? input : Items.Empty;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            if (input[i] is FhirNode n && IsTypeStep(n, name))
            {
                (result ??= []).Add(n);
            }
        }
        return result is null ? Items.Empty : result;
    }

    /// <summary>Children of one item; returns a fresh collection (or null when none).</summary>
    private static IReadOnlyList<object>? ChildrenOf(object item, string name, bool first)
    {
        if (item is not FhirNode node)
        {
            return item is FhirPathTypeInfo ti ? TypeInfoMember(ti, name) : null;
        }
        if (first && char.IsAsciiLetterUpper(name[0]) && IsTypeStep(node, name))
        {
            return [node];
        }
        var children = node.Children;
        for (var i = 0; i < children.Length; i++)
        {
            if (children[i].Name != name)
            {
                continue;
            }
            // Repeats are adjacent: count the run and copy it.
            var j = i + 1;
            while (j < children.Length && children[j].Name == name) j++;
            if (j == i + 1)
            {
                return [children[i]];
            }
            var arr = new object[j - i];
            for (var k = i; k < j; k++) arr[k - i] = children[k];
            return arr;
        }
        return null;
    }

    private static List<object>? ChildrenInto(object item, string name, bool first, List<object>? result)
    {
        var c = ChildrenOf(item, name, first);
        if (c is null)
        {
            return result;
        }
        result ??= new List<object>(c.Count + 4);
        for (var i = 0; i < c.Count; i++) result.Add(c[i]);
        return result;
    }

    private static bool IsTypeStep(FhirNode node, string name) =>
        node.TypeName == name || (node.IsResource && node.Type is { } t && t.IsA(name));

    private static object[]? TypeInfoMember(FhirPathTypeInfo ti, string name) => name switch
    {
        "name" => [ti.Name],
        "namespace" => [ti.Namespace],
        _ => null,
    };
}
