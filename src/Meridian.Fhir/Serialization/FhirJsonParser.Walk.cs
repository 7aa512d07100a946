using System.Collections.Immutable;
using System.Text.Json;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Serialization;

public sealed partial class FhirJsonParser
{
    // One JSON member matched to an element: its value and/or its "_name" primitive extension part.
    private struct Member
    {
        public ChildSlot Slot;
        public string JsonName;
        public JsonElement Value;
        public bool HasValue;
        public JsonElement Extra;
        public bool HasExtra;
    }

    private FhirNode? ParseResource(JsonElement json, string? name, ElementDefinition? definition, PathTrail path, Context ctx)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            ctx.Error(IssueType.Structure, $"A resource must be a JSON object, not {Describe(json.ValueKind)}.", path.ToString());
            return null;
        }
        if (!json.TryGetProperty("resourceType", out var rt) || rt.ValueKind != JsonValueKind.String)
        {
            ctx.Error(IssueType.Structure, "The resource has no resourceType (a string property).", path.ToString());
            return null;
        }
        var typeName = rt.GetString()!;
        var type = _spec.FindType(typeName);
        if (type is null || !type.IsResource || type.IsAbstract)
        {
            ctx.Error(IssueType.Invalid, $"Unknown resourceType '{typeName}'.", path.ToString());
            return null;
        }
        var here = name is null ? new ChildPath(RootPath.Instance, typeName, -1) : path;
        var children = ParseChildren(json, type, here, ctx, isResource: true);
        return new FhirNode(name ?? typeName, typeName, type, definition, ValueKind.None, null, children);
    }

    private ImmutableArray<FhirNode> ParseChildren(JsonElement json, StructureType type, PathTrail path, Context ctx, bool isResource)
    {
        // Members are gathered in a pooled buffer: objects are small and numerous, and a
        // per-object list or set showed up as a large share of the parser's allocations.
        var buffer = System.Buffers.ArrayPool<Member>.Shared.Rent(Math.Max(4, json.GetPropertyCount()));
        var count = 0;
        List<FhirNode>? unknown = null;
        var sawResourceType = false;
        try
        {
            foreach (var p in json.EnumerateObject())
            {
                var jsonName = p.Name;
                if (isResource && jsonName == "resourceType")
                {
                    if (sawResourceType)
                    {
                        ctx.Error(IssueType.Structure, "Duplicate property 'resourceType'.", path.ToString());
                    }
                    sawResourceType = true;
                    continue;
                }
                var isExtra = jsonName.Length > 1 && jsonName[0] == '_';
                var baseName = isExtra ? jsonName[1..] : jsonName;
                var slot = type.FindByJsonName(baseName);
                if (slot is null || (isExtra && !IsPrimitiveType(slot.TypeCode)) || (type.IsPrimitive && baseName == "value"))
                {
                    if (unknown?.Exists(u => u.Name == jsonName) == true)
                    {
                        ctx.Error(IssueType.Structure, $"Duplicate property '{jsonName}'.", path.ToString());
                        continue;
                    }
                    ctx.Error(IssueType.Structure, $"Unknown element '{jsonName}'.", new ChildPath(path, jsonName, -1).ToString());
                    (unknown ??= []).Add(new FhirNode(jsonName, "", null, null, ValueKind.Unknown, p.Value.GetRawText(), []));
                    continue;
                }
                var idx = -1;
                for (var i = 0; i < count; i++)
                {
                    if (buffer[i].Slot.Element == slot.Element)
                    {
                        idx = i;
                        break;
                    }
                }
                if (idx >= 0 && buffer[idx].Slot.TypeCode != slot.TypeCode)
                {
                    ctx.Error(IssueType.Structure,
                        $"Choice element '{slot.Element.Name}[x]' appears with two types ('{buffer[idx].JsonName}' and '{baseName}').",
                        new ChildPath(path, baseName, -1).ToString());
                    continue;
                }
                if (idx < 0)
                {
                    idx = count++;
                    buffer[idx] = new Member { Slot = slot, JsonName = baseName };
                }
                ref var m = ref buffer[idx];
                if (isExtra ? m.HasExtra : m.HasValue)
                {
                    ctx.Error(IssueType.Structure, $"Duplicate property '{jsonName}'.", path.ToString());
                    continue;
                }
                if (isExtra)
                {
                    m.Extra = p.Value;
                    m.HasExtra = true;
                }
                else
                {
                    m.Value = p.Value;
                    m.HasValue = true;
                }
            }

            var members = buffer.AsSpan(0, count);
            members.Sort(static (a, b) => a.Slot.Element.Order.CompareTo(b.Slot.Element.Order));
            var result = ImmutableArray.CreateBuilder<FhirNode>(count + (unknown?.Count ?? 0));
            foreach (var m in members)
            {
                ParseMember(m, path, ctx, result);
            }
            if (unknown is not null)
            {
                result.AddRange(unknown);
            }
            return result.Count == result.Capacity ? result.MoveToImmutable() : result.ToImmutable();
        }
        finally
        {
            System.Buffers.ArrayPool<Member>.Shared.Return(buffer, clearArray: true);
        }
    }

    private void ParseMember(Member m, PathTrail path, Context ctx, ImmutableArray<FhirNode>.Builder into)
    {
        var def = m.Slot.Element;
        var typeCode = m.Slot.TypeCode;
        var primitive = IsPrimitiveType(typeCode);
        var valueIsArray = m.HasValue && m.Value.ValueKind == JsonValueKind.Array;
        var extraIsArray = m.HasExtra && m.Extra.ValueKind == JsonValueKind.Array;

        if (def.IsCollection)
        {
            if ((m.HasValue && !valueIsArray) || (m.HasExtra && !extraIsArray))
            {
                ctx.Error(IssueType.Structure, $"Element '{m.JsonName}' repeats and must be a JSON array.", new ChildPath(path, m.JsonName, -1).ToString());
                // Read the single value anyway so later checks still see it.
                ParseOne(m.HasValue && !valueIsArray ? m.Value : default, m.HasExtra && !extraIsArray ? m.Extra : default,
                    m, path, 0, ctx, into);
                return;
            }
            var n = Math.Max(m.HasValue ? m.Value.GetArrayLength() : 0, m.HasExtra ? m.Extra.GetArrayLength() : 0);
            if (n == 0)
            {
                ctx.Error(IssueType.Structure, $"Array '{m.JsonName}' is empty; FHIR JSON leaves out empty arrays.", new ChildPath(path, m.JsonName, -1).ToString());
                return;
            }
            if (primitive && m.HasValue && m.HasExtra && m.Value.GetArrayLength() != m.Extra.GetArrayLength())
            {
                ctx.Error(IssueType.Structure, $"Arrays '{m.JsonName}' and '_{m.JsonName}' differ in length.", new ChildPath(path, m.JsonName, -1).ToString());
            }
            for (var i = 0; i < n; i++)
            {
                var v = m.HasValue && i < m.Value.GetArrayLength() ? m.Value[i] : default;
                var x = m.HasExtra && i < m.Extra.GetArrayLength() ? m.Extra[i] : default;
                ParseOne(v, x, m, path, i, ctx, into);
            }
        }
        else
        {
            if (valueIsArray || extraIsArray)
            {
                ctx.Error(IssueType.Structure, $"Element '{m.JsonName}' does not repeat and must not be an array.", new ChildPath(path, m.JsonName, -1).ToString());
                return;
            }
            ParseOne(m.HasValue ? m.Value : default, m.HasExtra ? m.Extra : default, m, path, -1, ctx, into);
        }
    }

    private void ParseOne(JsonElement value, JsonElement extra, Member m, PathTrail parent, int index, Context ctx, ImmutableArray<FhirNode>.Builder into)
    {
        // The trail to this element is only built when an issue names it or an object descends.
        PathTrail Here() => new ChildPath(parent, m.JsonName, index);
        var def = m.Slot.Element;
        var typeCode = m.Slot.TypeCode;
        var hasValue = value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);
        var hasExtra = extra.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);
        if (value.ValueKind == JsonValueKind.Null && !def.IsCollection)
        {
            ctx.Error(IssueType.Structure, $"Element '{m.JsonName}' is null; FHIR JSON leaves out absent elements.", Here().ToString());
        }
        if (!hasValue && !hasExtra)
        {
            if (def.IsCollection && (value.ValueKind == JsonValueKind.Null || extra.ValueKind == JsonValueKind.Null))
            {
                ctx.Error(IssueType.Structure, $"Item of '{m.JsonName}' is null in both the value and the '_' array.", Here().ToString());
            }
            return;
        }

        if (IsPrimitiveType(typeCode))
        {
            var ptype = _spec.FindType(typeCode);
            var kind = ValueKind.None;
            string? text = null;
            if (hasValue)
            {
                (kind, text) = ReadPrimitive(value, typeCode, parent, m.JsonName, index, ctx);
            }
            var children = ImmutableArray<FhirNode>.Empty;
            if (hasExtra)
            {
                if (extra.ValueKind != JsonValueKind.Object)
                {
                    ctx.Error(IssueType.Structure, $"'_{m.JsonName}' must be a JSON object.", Here().ToString());
                }
                else
                {
                    children = ParseChildren(extra, ptype ?? _elementType, Here(), ctx, isResource: false);
                }
            }
            into.Add(new FhirNode(def.Name, typeCode, ptype, def, kind, text, children));
            return;
        }

        if (hasExtra)
        {
            ctx.Error(IssueType.Structure, $"'_{m.JsonName}' is only allowed for primitive elements.", Here().ToString());
        }
        if (!hasValue)
        {
            return;
        }
        if (typeCode == "Resource")
        {
            var r = ParseResource(value, def.Name, def, Here(), ctx);
            if (r is not null)
            {
                into.Add(r);
            }
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            ctx.Error(IssueType.Structure, $"Element '{m.JsonName}' must be a JSON object, not {Describe(value.ValueKind)}.", Here().ToString());
            return;
        }
        var structure = def.Backbone ?? _spec.FindType(typeCode);
        if (structure is null)
        {
            ctx.Error(IssueType.NotSupported, $"Type '{typeCode}' of '{m.JsonName}' is not known.", Here().ToString());
            return;
        }
        var kids = ParseChildren(value, structure, Here(), ctx, isResource: false);
        into.Add(new FhirNode(def.Name, structure.FhirPathTypeName, structure, def, ValueKind.None, null, kids));
    }

    private static (ValueKind, string?) ReadPrimitive(JsonElement value, string typeCode, PathTrail parent, string name, int index, Context ctx)
    {
        PathTrail Here() => new ChildPath(parent, name, index);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (typeCode is "boolean" or "integer" or "decimal" or "positiveInt" or "unsignedInt")
                {
                    ctx.Error(IssueType.Structure, $"A {typeCode} must be a JSON {(typeCode == "boolean" ? "boolean" : "number")}, not a string.", Here().ToString());
                }
                return (ValueKind.String, value.GetString());
            case JsonValueKind.Number:
                if (typeCode is not ("integer" or "decimal" or "positiveInt" or "unsignedInt"))
                {
                    ctx.Error(IssueType.Structure, $"A {typeCode} must be a JSON {(typeCode == "boolean" ? "boolean" : "string")}, not a number.", Here().ToString());
                }
                return (ValueKind.Number, value.GetRawText());
            case JsonValueKind.True:
            case JsonValueKind.False:
                if (typeCode != "boolean")
                {
                    ctx.Error(IssueType.Structure, $"A {typeCode} must not be a JSON boolean.", Here().ToString());
                }
                return (ValueKind.Boolean, value.ValueKind == JsonValueKind.True ? "true" : "false");
            default:
                ctx.Error(IssueType.Structure, $"A {typeCode} must be a primitive JSON value, not {Describe(value.ValueKind)}.", Here().ToString());
                return (ValueKind.Unknown, value.GetRawText());
        }
    }

    internal static bool IsPrimitiveType(string typeCode) =>
        typeCode.Length > 0 && (char.IsLower(typeCode[0]) || typeCode.StartsWith("http://hl7.org/fhirpath/", StringComparison.Ordinal));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
