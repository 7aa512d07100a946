using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;

namespace Meridian.Api.Internal;

/// <summary>
/// FHIRPath Patch (a Parameters resource of operations add / insert / delete / replace / move).
/// Paths are evaluated with the FHIRPath engine on the typed tree; each selected node is mapped
/// to its place in the JSON (choice names and repeats from the node's definition) and the
/// edit is made there, keeping <c>_element</c> arrays aligned. Errors are messages, not exceptions.
/// </summary>
internal static class FhirPathPatch
{
    private sealed record Op(string Type, string? Path, string? Name, FhirNode? Value, int? Index, int? Source, int? Destination);

    public static string? Apply(JsonObject target, FhirNode parameters)
    {
        foreach (var p in parameters.ChildrenNamed("parameter"))
        {
            if (p.Child("name")?.Text != "operation")
            {
                return "A FHIRPath Patch Parameters holds only parameters named 'operation'.";
            }
            var op = ReadOp(p);
            if (op is null)
            {
                return "Every FHIRPath Patch operation needs a 'type' and a 'path'.";
            }
            // Re-read the tree after each edit: later paths see earlier changes, as the spec says.
            var parsed = FhirJsonParser.R4.Parse(JsonSerializer.SerializeToUtf8Bytes(target));
            if (parsed.Resource is null)
            {
                return "The resource could not be read after an earlier patch operation.";
            }
            var error = ApplyOne(target, parsed.Resource, op);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    private static Op? ReadOp(FhirNode parameter)
    {
        string? type = null, path = null, name = null;
        FhirNode? value = null;
        int? index = null, source = null, destination = null;
        foreach (var part in parameter.ChildrenNamed("part"))
        {
            var v = part.Child("value");
            switch (part.Child("name")?.Text)
            {
                case "type": type = v?.Text; break;
                case "path": path = v?.Text; break;
                case "name": name = v?.Text; break;
                case "value": value = v; break;
                case "index": index = Int(v); break;
                case "source": source = Int(v); break;
                case "destination": destination = Int(v); break;
            }
        }
        return type is null || path is null ? null : new Op(type, path, name, value, index, source, destination);
    }

    private static int? Int(FhirNode? n) =>
        n?.Text is { } t && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;

    private static string? ApplyOne(JsonObject root, FhirNode tree, Op op)
    {
        List<FhirNode> selected;
        if (!FhirPathEngine.R4.TryCompile(op.Path!, out var compiled, out var compileError))
        {
            return $"Path '{op.Path}' is not valid FHIRPath: {compileError}";
        }
        try
        {
            selected = [.. compiled!.Select(tree)];
        }
        catch (FhirPathException ex)
        {
            return $"Path '{op.Path}' failed: {ex.Message}";
        }
        switch (op.Type)
        {
            case "add":
                if (selected.Count != 1 || op.Name is null || op.Value is null)
                {
                    return $"add needs a path selecting one element (found {selected.Count}), a name and a value.";
                }
                return Add(root, selected[0], op.Name, op.Value);
            case "insert":
                if (selected.Count == 0 || op.Index is null || op.Value is null)
                {
                    return "insert needs a path selecting a list, an index and a value.";
                }
                return Insert(root, selected[0], op.Index.Value, op.Value);
            case "delete":
                if (selected.Count > 1)
                {
                    return $"delete path '{op.Path}' selects {selected.Count} elements; it must select at most one.";
                }
                return selected.Count == 0 ? null : Delete(root, selected[0]);
            case "replace":
                if (selected.Count != 1 || op.Value is null)
                {
                    return $"replace needs a path selecting one element (found {selected.Count}) and a value.";
                }
                return Replace(root, selected[0], op.Value);
            case "move":
                if (selected.Count == 0 || op.Source is null || op.Destination is null)
                {
                    return "move needs a path selecting a list, a source and a destination.";
                }
                return Move(root, selected[0], op.Source.Value, op.Destination.Value);
            default:
                return $"Unknown FHIRPath Patch operation type '{op.Type}'.";
        }
    }

    private static JsonNode? ValueJson(FhirNode value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Meridian.Fhir.Serialization.FhirJsonWriter.Options))
        {
            FhirJsonWriter.WriteValue(w, value);
        }
        return JsonNode.Parse(buffer.WrittenSpan);
    }

    /// <summary>The JSON object holding <paramref name="node"/>, its property name and array index (null when single).</summary>
    private static (JsonObject? Owner, string Property, int? Index) Place(JsonObject root, FhirNode node)
    {
        var chain = new Stack<FhirNode>();
        for (var n = node; n.Parent is not null; n = n.Parent)
        {
            chain.Push(n);
        }
        JsonNode? current = root;
        JsonObject? owner = null;
        string property = "";
        int? index = null;
        while (chain.Count > 0)
        {
            var n = chain.Pop();
            owner = current as JsonObject;
            if (owner is null)
            {
                return (null, "", null);
            }
            property = n.JsonName;
            var repeats = n.Definition is null || n.Definition.IsCollection;
            index = repeats ? n.Index : null;
            var child = owner[property];
            current = index is { } i ? (child is JsonArray a && i < a.Count ? a[i] : null) : child;
        }
        return (owner, property, index);
    }

    private static string? Add(JsonObject root, FhirNode container, string name, FhirNode value)
    {
        var (owner, prop, idx) = Place(root, container);
        JsonObject? target = container.Parent is null ? root : owner?[prop] switch
        {
            JsonArray a when idx is { } i => a[i] as JsonObject,
            JsonObject o => o,
            _ => null,
        };
        if (target is null)
        {
            return $"Cannot add '{name}' to {container.Location}.";
        }
        var element = container.Type?.FindByName(name);
        if (element is null)
        {
            return $"{container.TypeName} has no element '{name}'.";
        }
        var jsonName = element.IsChoice ? name + Fhir.Specification.StructureType.UpperFirst(value.TypeName) : name;
        var json = ValueJson(value);
        if (element.IsCollection)
        {
            if (target[jsonName] is JsonArray list)
            {
                list.Add(json);
            }
            else
            {
                target[jsonName] = new JsonArray(json);
            }
        }
        else
        {
            if (target.ContainsKey(jsonName))
            {
                return $"{container.Location}.{name} already has a value; use replace.";
            }
            target[jsonName] = json;
        }
        return null;
    }

    private static string? Insert(JsonObject root, FhirNode first, int index, FhirNode value)
    {
        var (owner, prop, _) = Place(root, first);
        if (owner?[prop] is not JsonArray list || index < 0 || index > list.Count)
        {
            return $"Cannot insert at index {index} of {first.Location}.";
        }
        list.Insert(index, ValueJson(value));
        if (owner["_" + prop] is JsonArray ext)
        {
            ext.Insert(Math.Min(index, ext.Count), null);
        }
        return null;
    }

    private static string? Delete(JsonObject root, FhirNode node)
    {
        var (owner, prop, idx) = Place(root, node);
        if (owner is null)
        {
            return $"Cannot delete {node.Location}.";
        }
        if (idx is { } i && owner[prop] is JsonArray list)
        {
            list.RemoveAt(i);
            if (owner["_" + prop] is JsonArray ext && i < ext.Count)
            {
                ext.RemoveAt(i);
            }
            if (list.Count == 0)
            {
                owner.Remove(prop);
                owner.Remove("_" + prop);
            }
        }
        else
        {
            owner.Remove(prop);
            owner.Remove("_" + prop);
        }
        return null;
    }

    private static string? Replace(JsonObject root, FhirNode node, FhirNode value)
    {
        var (owner, prop, idx) = Place(root, node);
        if (owner is null)
        {
            return $"Cannot replace {node.Location}.";
        }
        var json = ValueJson(value);
        if (node.Definition is { IsChoice: true } && node.TypeName != value.TypeName)
        {
            // A choice may change type: valueString → valueInteger.
            owner.Remove(prop);
            prop = node.Name + Fhir.Specification.StructureType.UpperFirst(value.TypeName);
        }
        if (idx is { } i && owner[prop] is JsonArray list)
        {
            list[i] = json;
        }
        else
        {
            owner[prop] = json;
        }
        return null;
    }

    private static string? Move(JsonObject root, FhirNode first, int source, int destination)
    {
        var (owner, prop, _) = Place(root, first);
        if (owner?[prop] is not JsonArray list || source < 0 || source >= list.Count || destination < 0 || destination >= list.Count)
        {
            return $"Cannot move {source} → {destination} in {first.Location}.";
        }
        var item = list[source];
        list.RemoveAt(source);
        list.Insert(destination, item);
        return null;
    }
}
