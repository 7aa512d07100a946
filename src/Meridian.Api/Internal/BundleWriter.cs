using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>One Bundle entry: a resource (raw stored JSON) and its search, request and response parts.</summary>
internal sealed record BundleEntry(string? FullUrl, ReadOnlyMemory<byte> Resource)
{
    public string? SearchMode { get; init; }
    public string? RequestMethod { get; init; }
    public string? RequestUrl { get; init; }
    public string? ResponseStatus { get; init; }
    public string? ResponseLocation { get; init; }
    public string? ResponseEtag { get; init; }
    public DateTimeOffset? ResponseLastModified { get; init; }
    /// <summary>An OperationOutcome in <c>response.outcome</c> (batch/transaction errors).</summary>
    public ReadOnlyMemory<byte> ResponseOutcome { get; init; }
}

/// <summary>Writes Bundles straight from stored bytes: resources are copied raw, never re-parsed.</summary>
internal static class BundleWriter
{
    public static byte[] Write(string type, long? total, IReadOnlyList<(string Relation, string Url)> links, IReadOnlyList<BundleEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, Meridian.Fhir.Serialization.FhirJsonWriter.Options))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Bundle");
            w.WriteString("id", Guid.NewGuid().ToString());
            w.WriteStartObject("meta");
            w.WriteString("lastUpdated", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteString("type", type);
            if (total is not null)
            {
                w.WriteNumber("total", total.Value);
            }
            if (links.Count > 0)
            {
                w.WriteStartArray("link");
                foreach (var (rel, url) in links)
                {
                    w.WriteStartObject();
                    w.WriteString("relation", rel);
                    w.WriteString("url", url);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (entries.Count > 0)
            {
                w.WriteStartArray("entry");
                foreach (var e in entries)
                {
                    WriteEntry(w, e);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEntry(Utf8JsonWriter w, BundleEntry e)
    {
        w.WriteStartObject();
        if (e.FullUrl is not null)
        {
            w.WriteString("fullUrl", e.FullUrl);
        }
        if (!e.Resource.IsEmpty)
        {
            w.WritePropertyName("resource");
            w.WriteRawValue(e.Resource.Span, skipInputValidation: true);
        }
        if (e.SearchMode is not null)
        {
            w.WriteStartObject("search");
            w.WriteString("mode", e.SearchMode);
            w.WriteEndObject();
        }
        if (e.RequestMethod is not null)
        {
            w.WriteStartObject("request");
            w.WriteString("method", e.RequestMethod);
            w.WriteString("url", e.RequestUrl);
            w.WriteEndObject();
        }
        if (e.ResponseStatus is not null)
        {
            w.WriteStartObject("response");
            w.WriteString("status", e.ResponseStatus);
            if (e.ResponseLocation is not null)
            {
                w.WriteString("location", e.ResponseLocation);
            }
            if (e.ResponseEtag is not null)
            {
                w.WriteString("etag", e.ResponseEtag);
            }
            if (e.ResponseLastModified is { } lm)
            {
                w.WriteString("lastModified", lm.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            }
            if (!e.ResponseOutcome.IsEmpty)
            {
                w.WritePropertyName("outcome");
                w.WriteRawValue(e.ResponseOutcome.Span, skipInputValidation: true);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static string FullUrl(string baseUrl, StoredResource r) => $"{baseUrl}/{r.Type}/{r.Id}";
}
