using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Meridian.Storage.Internal;

/// <summary>
/// Writes the store-assigned <c>id</c>, <c>meta.versionId</c> and <c>meta.lastUpdated</c> into
/// the resource JSON once, at write time, so reads hand out the stored bytes untouched. Other
/// members (and the rest of <c>meta</c>) are copied in their order; id and meta are placed
/// after resourceType as FHIR JSON orders them.
/// </summary>
internal static class JsonStamper
{
    public static byte[] Stamp(ReadOnlyMemory<byte> json, string id, long version, DateTimeOffset lastUpdated)
    {
        using var doc = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>(json.Length + 96);
        using (var w = new Utf8JsonWriter(buffer, Meridian.Fhir.Serialization.FhirJsonWriter.Options))
        {
            w.WriteStartObject();
            var root = doc.RootElement;
            if (root.TryGetProperty("resourceType", out var rt))
            {
                w.WritePropertyName("resourceType");
                rt.WriteTo(w);
            }
            w.WriteString("id", id);
            w.WritePropertyName("meta");
            w.WriteStartObject();
            w.WriteString("versionId", version.ToString(CultureInfo.InvariantCulture));
            w.WriteString("lastUpdated", FormatInstant(lastUpdated));
            if (root.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var m in meta.EnumerateObject())
                {
                    if (m.NameEquals("versionId") || m.NameEquals("lastUpdated") || m.NameEquals("_versionId") || m.NameEquals("_lastUpdated"))
                    {
                        continue;
                    }
                    m.WriteTo(w);
                }
            }
            w.WriteEndObject();
            foreach (var p in root.EnumerateObject())
            {
                if (p.NameEquals("resourceType") || p.NameEquals("id") || p.NameEquals("meta") || p.NameEquals("_id"))
                {
                    continue;
                }
                p.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>FHIR instant with milliseconds; the store truncates its clock to milliseconds so
    /// this text and the indexed <c>last_updated</c> are the same instant.</summary>
    public static string FormatInstant(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
