using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Meridian.Api;
using Meridian.Storage;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions;

/// <summary>What checking a subscription's criteria against one change found.</summary>
public enum MatchOutcome { Match, NoMatch, Denied, Invalid }

/// <summary>
/// Decides whether a change concerns a subscription by asking the FHIR API itself, as the
/// subscription's creator: the criteria become a search restricted to the changed resource
/// (<c>Observation?code=…&amp;_id=42</c>). The answer therefore has exactly the store's search
/// semantics (same parser, same SQL) and the creator's read rules (scopes, roles, patient
/// compartment, tenant) by construction — no second evaluator to drift from the first.
/// A delete is checked by reading the version before it as the creator.
/// </summary>
/// <remarks>
/// Never a silent "no match" for a failure: a server error (5xx) of the API throws
/// <see cref="MatchUnavailableException"/>, so the feed offers the batch again and its position
/// does not move; a creator who lost access (401/403) or criteria the API no longer accepts drop
/// the notifications visibly, through <paramref name="dropped"/> (a metric and the
/// subscription's last error).
/// </remarks>
public sealed class SubscriptionMatcher(Func<FhirRequest, CancellationToken, Task<FhirResponse>> api, MatchDrops? dropped = null)
{
    // Result-shaping parameters of the criteria do not change which resources match.
    private static readonly HashSet<string> s_ignored = new(StringComparer.Ordinal) { "_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total", "_format", "_pretty" };

    public async Task<MatchOutcome> MatchesAsync(RegisteredSubscription subscription, ChangeRecord change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(change);
        var d = subscription.Definition;
        if (change.Kind == ChangeKind.Delete)
        {
            if (d.Filters.Any(f => f.Type == change.Type && f.Parameters.Length > 0) || change.VersionId <= 1)
            {
                return MatchOutcome.NoMatch; // filters cannot be evaluated on a deleted resource
            }
            var vread = await api(new FhirRequest("GET", $"{change.Type}/{change.Id}/_history/{(change.VersionId - 1).ToString(CultureInfo.InvariantCulture)}")
            {
                Tenant = d.Tenant,
                Caller = subscription.Owner,
            }, ct).ConfigureAwait(false);
            ThrowIfUnavailable(vread, change.Type);
            if (vread.Status is 401 or 403 && dropped is not null)
            {
                await dropped.RecordAsync(subscription, change.Type, vread.Status, 1, ct).ConfigureAwait(false);
            }
            return vread.IsSuccess ? MatchOutcome.Match : vread.Status is 401 or 403 ? MatchOutcome.Denied : MatchOutcome.NoMatch;
        }
        var parameters = d.IsTopicBased
            ? d.Filters.Where(f => f.Type == change.Type).SelectMany(f => f.Parameters).ToImmutableArray()
            : d.CriteriaParameters;
        return await SearchAsync(subscription, change.Type, parameters, change.Id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Matches a segment of changes at once: per resource type one search with the changed ids
    /// (<c>_id=a,b,c</c>, in chunks), so a backbone batch costs one search per subscription and
    /// type instead of one per change; subscriptions with the same criteria and the same creator
    /// share one search through <paramref name="cache"/>. Deletes are checked one by one.
    /// Returns the sequences of the changes that match.
    /// </summary>
    public async Task<HashSet<long>> MatchManyAsync(RegisteredSubscription subscription, IReadOnlyList<ChangeRecord> changes, Dictionary<string, HashSet<string>> cache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(cache);
        var matched = new HashSet<long>();
        foreach (var change in changes.Where(c => c.Kind == ChangeKind.Delete))
        {
            if (await MatchesAsync(subscription, change, ct).ConfigureAwait(false) == MatchOutcome.Match)
            {
                matched.Add(change.Sequence);
            }
        }
        var d = subscription.Definition;
        foreach (var byType in changes.Where(c => c.Kind != ChangeKind.Delete).GroupBy(c => c.Type, StringComparer.Ordinal))
        {
            var parameters = d.IsTopicBased
                ? d.Filters.Where(f => f.Type == byType.Key).SelectMany(f => f.Parameters).ToImmutableArray()
                : d.CriteriaParameters;
            var key = d.Tenant + "\n" + byType.Key + "\n" + string.Join("&", parameters.Select(p => p.Key + "=" + p.Value)) + "\n"
                + Convert.ToBase64String(OwnerCodec.Encode(subscription.Owner)) + "\n" + string.Join(",", byType.Select(c => c.Id));
            if (!cache.TryGetValue(key, out var ids))
            {
                ids = new HashSet<string>(StringComparer.Ordinal);
                foreach (var chunk in byType.Select(c => c.Id).Distinct(StringComparer.Ordinal).Chunk(100))
                {
                    ids.UnionWith(await SearchIdsAsync(subscription, byType.Key, parameters, chunk, ct).ConfigureAwait(false));
                }
                cache[key] = ids;
            }
            foreach (var change in byType)
            {
                if (ids.Contains(change.Id))
                {
                    matched.Add(change.Sequence);
                }
            }
        }
        return matched;
    }

    /// <summary>
    /// The ids among <paramref name="ids"/> of <paramref name="type"/> that the subscription's
    /// creator may read: a search through the API as the creator (<c>_id=a,b,…</c>, in chunks),
    /// so its scopes, roles, patient compartment and tenant apply. An insecure-dev creator
    /// (authorization off) reads everything without a search.
    /// </summary>
    public async Task<HashSet<string>> ReadableIdsAsync(RegisteredSubscription subscription, string type, IReadOnlyList<string> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(ids);
        if (subscription.Owner.IsInsecureDev)
        {
            return new HashSet<string>(ids, StringComparer.Ordinal);
        }
        var readable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(100))
        {
            readable.UnionWith(await SearchIdsAsync(subscription, type, [], chunk, ct).ConfigureAwait(false));
        }
        return readable;
    }

    private async Task<IEnumerable<string>> SearchIdsAsync(RegisteredSubscription subscription, string type, ImmutableArray<KeyValuePair<string, string>> parameters, string[] ids, CancellationToken ct)
    {
        var request = Request(subscription, type, parameters, string.Join(",", ids));
        request = request with { Query = [.. request.Query.Where(q => q.Key != "_count"), new("_count", ids.Length.ToString(CultureInfo.InvariantCulture))] };
        var response = await api(request, ct).ConfigureAwait(false);
        ThrowIfUnavailable(response, type);
        if (!response.IsSuccess)
        {
            // The creator lost access (401/403) or the criteria no longer parse: these changes are
            // not notified, and that is recorded where an operator sees it.
            if (dropped is not null)
            {
                await dropped.RecordAsync(subscription, type, response.Status, ids.Length, ct).ConfigureAwait(false);
            }
            return [];
        }
        using var doc = JsonDocument.Parse(response.Body);
        var found = new List<string>();
        if (doc.RootElement.TryGetProperty("entry", out var entries))
        {
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.TryGetProperty("resource", out var r) && r.TryGetProperty("resourceType", out var rt) && rt.GetString() == type
                    && r.TryGetProperty("id", out var rid) && rid.GetString() is { } id)
                {
                    found.Add(id);
                }
            }
        }
        return found;
    }

    /// <summary>Checks the criteria (and filters) parse and that the creator may search them, without matching anything.</summary>
    public async Task<(MatchOutcome Outcome, string? Problem)> ValidateAsync(RegisteredSubscription subscription, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var d = subscription.Definition;
        var searches = d.IsTopicBased
            ? d.Filters.Select(f => (f.Type, f.Parameters)).ToList()
            : [(d.CriteriaType!, d.CriteriaParameters)];
        foreach (var (type, parameters) in searches)
        {
            var response = await api(Request(subscription, type, parameters, "meridian-no-such-id"), ct).ConfigureAwait(false);
            // A server error says nothing about the criteria: not a reason to put the subscription in error.
            ThrowIfUnavailable(response, type);
            if (!response.IsSuccess)
            {
                var message = response.Issues.IsDefaultOrEmpty ? $"HTTP {response.Status}" : response.Issues[0].Message;
                return (response.Status is 401 or 403 ? MatchOutcome.Denied : MatchOutcome.Invalid, $"Criteria '{type}' cannot be evaluated for the subscription's creator: {message}");
            }
        }
        return (MatchOutcome.Match, null);
    }

    private async Task<MatchOutcome> SearchAsync(RegisteredSubscription subscription, string type, ImmutableArray<KeyValuePair<string, string>> parameters, string id, CancellationToken ct)
    {
        var response = await api(Request(subscription, type, parameters, id), ct).ConfigureAwait(false);
        ThrowIfUnavailable(response, type);
        if (!response.IsSuccess)
        {
            return response.Status is 401 or 403 ? MatchOutcome.Denied : MatchOutcome.Invalid;
        }
        using var doc = JsonDocument.Parse(response.Body);
        if (doc.RootElement.TryGetProperty("entry", out var entries))
        {
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.TryGetProperty("resource", out var r) && r.TryGetProperty("id", out var rid) && rid.GetString() == id
                    && r.TryGetProperty("resourceType", out var rt) && rt.GetString() == type)
                {
                    return MatchOutcome.Match;
                }
            }
        }
        return MatchOutcome.NoMatch;
    }

    private static void ThrowIfUnavailable(FhirResponse response, string type)
    {
        if (response.Status >= 500)
        {
            var message = response.Issues.IsDefaultOrEmpty ? "" : ": " + response.Issues[0].Message;
            throw new MatchUnavailableException($"Matching {type} failed with HTTP {response.Status}{message}; the batch is offered again.");
        }
    }

    private static FhirRequest Request(RegisteredSubscription subscription, string type, ImmutableArray<KeyValuePair<string, string>> parameters, string id)
    {
        var query = parameters.Where(p => !s_ignored.Contains(p.Key)).ToList();
        query.Add(new("_id", id));
        query.Add(new("_elements", "id"));
        query.Add(new("_count", "1"));
        return new FhirRequest("GET", type)
        {
            Tenant = subscription.Definition.Tenant,
            Caller = subscription.Owner,
            Query = [.. query],
            Headers = new FhirRequestHeaders { Prefer = "handling=strict" },
        };
    }
}
