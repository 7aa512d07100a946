using System.Collections.Immutable;

namespace Meridian.Api;

/// <summary>
/// One FHIR RESTful request, independent of any web framework. <see cref="Path"/> is relative
/// to the FHIR base (<c>Patient/123/_history/2</c>, empty for the base itself);
/// <see cref="BaseUrl"/> is the absolute base (<c>http://host/fhir</c> or
/// <c>http://host/t/acme/fhir</c>) used for Location headers, fullUrls and paging links.
/// </summary>
public sealed record FhirRequest(string Method, string Path)
{
    public string Tenant { get; init; } = FhirApi.DefaultTenant;
    public string BaseUrl { get; init; } = "http://localhost/fhir";
    public ImmutableArray<KeyValuePair<string, string>> Query { get; init; } = [];
    public ReadOnlyMemory<byte> Body { get; init; }
    public FhirRequestHeaders Headers { get; init; } = FhirRequestHeaders.None;

    /// <summary>Who is calling (set by the authenticating host or pipeline).</summary>
    public Caller Caller { get; init; } = Caller.Anonymous;

    /// <summary>Passed to every store transaction this request runs (batch entries inherit it):
    /// how the audit layer gets its facts into the same database transaction as the data.</summary>
    public Meridian.Storage.TransactOptions? WriteOptions { get; init; }

    /// <summary>The first value of query parameter <paramref name="name"/>, or null.</summary>
    public string? QueryValue(string name)
    {
        foreach (var kv in Query)
        {
            if (kv.Key == name)
            {
                return kv.Value;
            }
        }
        return null;
    }
}

/// <summary>The request headers FHIR gives meaning to; raw text, interpreted by the interactions.</summary>
public sealed record FhirRequestHeaders
{
    public string? ContentType { get; init; }
    public string? Accept { get; init; }
    public string? IfMatch { get; init; }
    public string? IfNoneMatch { get; init; }
    public string? IfNoneExist { get; init; }
    public string? IfModifiedSince { get; init; }
    public string? Prefer { get; init; }

    public static FhirRequestHeaders None { get; } = new();
}
