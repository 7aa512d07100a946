using System.Collections.Immutable;
using System.Text.Json;
using Meridian.Api;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>
/// Which resource a conditional URL names, asked once with a search: for a conditional update that
/// matched an existing resource (200), whose transaction-response entry carries no Location. Without
/// it a resource that existed before the processor started (every patient after a restart, data
/// loaded over REST) would be searched for again inside every transaction about it, for ever.
/// The lookup goes to the interaction layer directly, not through the interceptors: it returns
/// nothing to anyone (the id only feeds <see cref="ConditionalIdCache"/>), like the transaction's
/// own conditional search, which is not audited on its own either.
/// </summary>
internal static class ConditionalLookup
{
    /// <summary><c>Type/id</c> when exactly one resource matches; null otherwise (none, several, refused).</summary>
    public static async Task<string?> FindAsync(FhirApi api, string tenant, string conditionalUrl, Caller caller, CancellationToken cancellationToken)
    {
        var q = conditionalUrl.IndexOf('?', StringComparison.Ordinal);
        if (q <= 0)
        {
            return null;
        }
        var type = conditionalUrl[..q];
        var query = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var pair in conditionalUrl[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return null;
            }
            query.Add(new(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..])));
        }
        query.Add(new("_count", "2"));
        var response = await api.HandleAsync(new FhirRequest("GET", type) { Tenant = tenant, Caller = caller, Query = query.ToImmutable() }, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(response.Body);
        if (!doc.RootElement.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array || entries.GetArrayLength() != 1)
        {
            return null;
        }
        var entry = entries[0];
        return entry.TryGetProperty("resource", out var resource) && resource.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } value
            && (!entry.TryGetProperty("search", out var search) || !search.TryGetProperty("mode", out var mode) || mode.GetString() == "match")
            ? type + "/" + value
            : null;
    }
}
