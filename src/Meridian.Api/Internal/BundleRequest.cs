using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Api.Internal;

/// <summary>One entry of a batch or transaction, read from the Bundle JSON.</summary>
internal sealed class BundleRequestEntry(int index, string? fullUrl, string method, string url, JsonObject? resource, JsonObject request)
{
    public int Index { get; } = index;
    public string? FullUrl { get; } = fullUrl;
    public string Method { get; } = method;
    public string Url { get; set; } = url;
    /// <summary>Mutable on purpose: a transaction rewrites references in place before planning.</summary>
    public JsonObject? Resource { get; } = resource;
    public string? Header(string name) => request.TryGetPropertyValue(name, out var v) && v is JsonValue s && s.TryGetValue<string>(out var t) ? t : null;

    /// <summary>A PATCH entry carries a JSON Patch as a Binary (base64 data), a FHIRPath Patch as Parameters.</summary>
    private bool IsBinaryPatch => Method == "PATCH" && Resource?["resourceType"] is JsonValue rt && rt.TryGetValue<string>(out var t) && t == "Binary";

    private ReadOnlyMemory<byte> Body()
    {
        if (Resource is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (IsBinaryPatch)
        {
            if (Resource["data"] is JsonValue d && d.TryGetValue<string>(out var b64))
            {
                var buffer = new byte[b64.Length];
                return Convert.TryFromBase64String(b64, buffer, out var n) ? buffer.AsMemory(0, n) : ReadOnlyMemory<byte>.Empty;
            }
            return ReadOnlyMemory<byte>.Empty;
        }
        return JsonSerializer.SerializeToUtf8Bytes(Resource);
    }

    /// <summary>The entry as a request to the interaction layer.</summary>
    public FhirRequest ToRequest(FhirRequest outer, string? ifNoneExist)
    {
        var (path, criteria) = QueryString.SplitUrl(Url.StartsWith(outer.BaseUrl + "/", StringComparison.Ordinal) ? Url[(outer.BaseUrl.Length + 1)..] : Url);
        return new FhirRequest(Method, path)
        {
            Tenant = outer.Tenant,
            WriteOptions = outer.WriteOptions,
            Caller = outer.Caller,
            BaseUrl = outer.BaseUrl,
            Query = QueryString.Parse(criteria),
            Body = Body(),
            Headers = new FhirRequestHeaders
            {
                ContentType = IsBinaryPatch
                    ? (Resource!["contentType"] is JsonValue ct && ct.TryGetValue<string>(out var type) ? type : "application/json-patch+json")
                    : "application/fhir+json",
                IfMatch = Header("ifMatch"),
                IfNoneMatch = Header("ifNoneMatch"),
                IfModifiedSince = Header("ifModifiedSince"),
                IfNoneExist = ifNoneExist,
                Prefer = outer.Headers.Prefer,
            },
        };
    }
}

/// <summary>Reads a batch/transaction Bundle; structural problems are returned as a message.</summary>
internal static class BundleRequest
{
    public static (string? Type, List<BundleRequestEntry> Entries, string? Error) Read(ReadOnlyMemory<byte> body)
    {
        JsonObject? bundle;
        try
        {
            bundle = JsonNode.Parse(body.Span) as JsonObject;
        }
        catch (JsonException ex)
        {
            return (null, [], "Malformed JSON: " + ex.Message);
        }
        if (bundle is null || bundle["resourceType"]?.GetValueKind() != JsonValueKind.String || bundle["resourceType"]!.GetValue<string>() != "Bundle")
        {
            return (null, [], "POST to the base takes a Bundle of type batch or transaction.");
        }
        var type = bundle["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
        if (type is not ("batch" or "transaction"))
        {
            return (type, [], $"Bundle type '{type}' cannot be processed; send batch or transaction.");
        }
        var entries = new List<BundleRequestEntry>();
        if (bundle["entry"] is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonObject e || e["request"] is not JsonObject req
                    || req["method"] is not JsonValue mv || !mv.TryGetValue<string>(out var method)
                    || req["url"] is not JsonValue uv || !uv.TryGetValue<string>(out var url))
                {
                    return (type, [], $"Bundle.entry[{i}] needs request.method and request.url.");
                }
                var fullUrl = e["fullUrl"] is JsonValue fv && fv.TryGetValue<string>(out var f) ? f : null;
                entries.Add(new BundleRequestEntry(i, fullUrl, method, url, e["resource"] as JsonObject, req));
            }
        }
        return (type, entries, null);
    }
}
