using System.Text.Encodings.Web;
using System.Text.Json;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Serialization;

/// <summary>
/// Writes a <see cref="FhirNode"/> tree as FHIR JSON: resourceType first, then elements in the
/// spec's order, primitive extensions as <c>_name</c> beside their values, numbers exactly as
/// they were read.
/// </summary>
public static class FhirJsonWriter
{
    /// <summary>The writer options for FHIR JSON everywhere in Meridian: characters are written
    /// as themselves (no \u003C for '&lt;' in narratives), since FHIR JSON is never embedded in
    /// HTML script; validation is skipped because the tree is already well-formed.</summary>
    public static JsonWriterOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary><see cref="Options"/>, indented.</summary>
    public static JsonWriterOptions IndentedOptions { get; } = Options with { Indented = true };

    public static byte[] ToUtf8(FhirNode resource, bool indented = false)
    {
        using var buffer = new PooledBufferWriter(4096);
        using (var w = new Utf8JsonWriter(buffer, indented ? IndentedOptions : Options))
        {
            Write(w, resource);
        }
        return buffer.ToArray();
    }

    public static string ToJson(FhirNode resource, bool indented = false) =>
        System.Text.Encoding.UTF8.GetString(ToUtf8(resource, indented));

    public static async Task WriteAsync(Stream stream, FhirNode resource, bool indented = false, CancellationToken cancellationToken = default)
    {
        await using var w = new Utf8JsonWriter(stream, indented ? IndentedOptions : Options);
        Write(w, resource);
        await w.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the node as a JSON object (a resource gets its resourceType).</summary>
    public static void Write(Utf8JsonWriter w, FhirNode node)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(node);
        w.WriteStartObject();
        if (node.IsResource)
        {
            w.WriteString("resourceType", node.TypeName);
        }
        WriteMembers(w, node);
        w.WriteEndObject();
    }

    /// <summary>Writes any node as a JSON value: a primitive as its value (or, when it has
    /// only extensions, as the object of its <c>_name</c> part), anything else as an object.</summary>
    public static void WriteValue(Utf8JsonWriter w, FhirNode node)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(node);
        if ((node.IsPrimitive || FhirJsonParser.IsPrimitiveType(node.TypeName)) && node.HasValue)
        {
            WritePrimitiveValue(w, node);
        }
        else
        {
            Write(w, node);
        }
    }

    private static void WriteMembers(Utf8JsonWriter w, FhirNode node)
    {
        var children = node.Children;
        var i = 0;
        while (i < children.Length)
        {
            var first = children[i];
            if (first.Kind == ValueKind.Unknown && first.Definition is null)
            {
                w.WritePropertyName(first.Name);
                w.WriteRawValue(first.Text!, skipInputValidation: true);
                i++;
                continue;
            }
            var j = i + 1;
            while (j < children.Length && children[j].Definition == first.Definition && children[j].Definition is not null)
            {
                j++;
            }
            var group = children.AsSpan(i, j - i);
            var name = first.JsonName;
            var repeats = first.Definition?.IsCollection ?? group.Length > 1;
            if (first.IsPrimitive || FhirJsonParser.IsPrimitiveType(first.TypeName))
            {
                WritePrimitiveGroup(w, name, group, repeats);
            }
            else if (repeats)
            {
                w.WriteStartArray(name);
                foreach (var c in group)
                {
                    Write(w, c);
                }
                w.WriteEndArray();
            }
            else
            {
                w.WritePropertyName(name);
                Write(w, first);
            }
            i = j;
        }
    }

    private static void WritePrimitiveGroup(Utf8JsonWriter w, string name, ReadOnlySpan<FhirNode> group, bool repeats)
    {
        var anyValue = false;
        var anyExtra = false;
        foreach (var c in group)
        {
            anyValue |= c.HasValue || c.Kind == ValueKind.Unknown;
            anyExtra |= c.Children.Length > 0;
        }
        if (anyValue)
        {
            if (repeats)
            {
                w.WriteStartArray(name);
                foreach (var c in group)
                {
                    WritePrimitiveValue(w, c);
                }
                w.WriteEndArray();
            }
            else
            {
                w.WritePropertyName(name);
                WritePrimitiveValue(w, group[0]);
            }
        }
        if (anyExtra)
        {
            var extraName = "_" + name;
            if (repeats)
            {
                w.WriteStartArray(extraName);
                foreach (var c in group)
                {
                    if (c.Children.Length == 0)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        w.WriteStartObject();
                        WriteMembers(w, c);
                        w.WriteEndObject();
                    }
                }
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject(extraName);
                WriteMembers(w, group[0]);
                w.WriteEndObject();
            }
        }
    }

    private static void WritePrimitiveValue(Utf8JsonWriter w, FhirNode c)
    {
        switch (c.Kind)
        {
            case ValueKind.String:
                w.WriteStringValue(c.Text);
                break;
            case ValueKind.Number:
            case ValueKind.Unknown:
                w.WriteRawValue(c.Text!, skipInputValidation: true);
                break;
            case ValueKind.Boolean:
                w.WriteBooleanValue(c.Text == "true");
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }
}
