using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>Per-conversion settings.</summary>
public sealed record Hl7ConversionOptions
{
    /// <summary>The sending integration (inbox sender id); MSH-3^MSH-4 when null.</summary>
    public string? Sender { get; init; }

    /// <summary>The offset of v2 times written without a zone (the sender's local time); UTC by default.</summary>
    public TimeSpan DefaultOffset { get; init; }

    /// <summary>The sender's time zone for v2 times written without a zone (takes precedence over
    /// <see cref="DefaultOffset"/>; the offset is the zone's at that local time). Null: UTC, or <see cref="DefaultOffset"/>.</summary>
    public TimeZoneInfo? TimeZone { get; init; }

    internal SenderZone Zone => new(DefaultOffset, TimeZone);

    /// <summary>Provenance.recorded when MSH-7 is missing or malformed.</summary>
    public DateTimeOffset? Now { get; init; }

    public static Hl7ConversionOptions Default { get; } = new();
}

/// <summary>
/// The outcome of one conversion: the transaction Bundle, or the precise reason there is none
/// (<see cref="Error"/>: no mapping for the message type, a message without a resource), plus
/// non-fatal notes (values that did not convert, segments the mapping does not use).
/// </summary>
public sealed record Hl7ConversionResult(JsonObject? Bundle, string? Error, ImmutableArray<string> Notes)
{
    public bool Success => Bundle is not null;

    /// <summary>The Bundle as FHIR JSON (UTF-8).</summary>
    public byte[] ToUtf8(bool indented = false) =>
        Bundle is null ? [] : JsonSerializer.SerializeToUtf8Bytes(Bundle, indented ? s_indented : s_compact);

    public string ToJson(bool indented = false) => System.Text.Encoding.UTF8.GetString(ToUtf8(indented));

    private static readonly JsonSerializerOptions s_compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions s_indented = new(s_compact) { WriteIndented = true };
}

/// <summary>
/// HL7 v2 → FHIR R4 by data: finds the message map for MSH-9 in the mapping set, runs every
/// segment through its element map, and assembles a transaction Bundle whose entries upsert
/// idempotently (conditional update on an identifier, or PUT to a deterministic id) and
/// reference each other by urn:uuid, with a Provenance per resource pointing at the message.
/// Stateless and thread-safe; the same message always gives the same Bundle.
/// </summary>
public sealed class Hl7FhirConverter(MappingSet mappings)
{
    public MappingSet Mappings { get; } = mappings ?? throw new ArgumentNullException(nameof(mappings));

    public static Hl7FhirConverter Default { get; } = new(MappingSet.Default);

    /// <summary>Parses and converts one message.</summary>
    public Hl7ConversionResult Convert(ReadOnlySpan<byte> raw, Hl7ConversionOptions? options = null)
    {
        var parsed = Hl7Parser.Parse(raw);
        return parsed.Message is null
            ? new Hl7ConversionResult(null, "unparseable: " + parsed.ErrorReason, [])
            : Convert(parsed.Message, options);
    }

    public Hl7ConversionResult Convert(Hl7Message message, Hl7ConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        options ??= Hl7ConversionOptions.Default;
        var header = message.Header;
        var map = Mappings.FindMessage(header.MessageType, header.TriggerEvent, header.MessageStructure);
        var type = $"{header.MessageType}^{header.TriggerEvent}" + (header.MessageStructure.Length > 0 ? "^" + header.MessageStructure : "");
        if (map is null)
        {
            return new Hl7ConversionResult(null, $"unmappable: no message map for {type} in mapping set '{Mappings.Name}'", []);
        }
        var run = new ConversionRun(Mappings, message, options, type);
        run.Map(map);
        if (run.Entries.Count == 0)
        {
            return new Hl7ConversionResult(null, $"unmappable: message map {map.Name} made no resource from this {type} message (missing segments?)", [.. run.Notes]);
        }
        var bundle = BundleAssembly.Build(run);
        return new Hl7ConversionResult(bundle, null, [.. run.Notes]);
    }
}
