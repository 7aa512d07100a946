using System.Collections.Immutable;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>Patient/[id]/$everything</c>: the patient and every current resource in its compartment
/// (the spec's CompartmentDefinition: each member type and the reference parameters that place
/// it there), as ONE store search so it pages like any search: <c>_count</c> (default page
/// size, clamped to the maximum) and next links carrying the store's keyset cursor — nothing is
/// silently cut off. <c>_since</c> keeps resources updated since then; <c>_type</c> restricts
/// the member types; <c>start</c>/<c>end</c> restrict by care date: for member types that have
/// a <c>date</c> search parameter, resources whose date overlaps [start, end] or that have no
/// date; types without one (Patient, …) are not date-filtered.
/// </summary>
internal static class EverythingOperation
{
    private static readonly HashSet<string> s_linkParameters = ["_count", "_since", "_type", "start", "end"];

    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string id, InteractionContext ctx, CancellationToken ct)
    {
        var patient = await ctx.Store.ReadAsync(request.Tenant, "Patient", id, ct).ConfigureAwait(false);
        if (patient is null)
        {
            return Responses.NotFound("Patient", id);
        }
        if (patient.IsDeleted)
        {
            return Responses.Gone(patient);
        }
        var compartment = ctx.Spec.FindCompartment("Patient");
        if (compartment is null)
        {
            return FhirResponse.Error(500, IssueType.Exception, "The specification has no Patient compartment.");
        }
        var conditions = ImmutableArray.CreateBuilder<SearchExpression>();
        var types = request.QueryValue("_type")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (types?.FirstOrDefault(t => !ctx.Spec.IsResourceType(t)) is { } unknown)
        {
            return FhirResponse.Error(400, IssueType.Invalid, $"_type: '{unknown}' is not a resource type.");
        }
        conditions.Add(CompartmentMembership.AllTypes(ctx.Spec, compartment, id, types) ?? new IdExpression([]));
        if (request.QueryValue("_since") is { } sinceText)
        {
            if (!SearchDates.TryParseInstant(sinceText, out var since))
            {
                return FhirResponse.Error(400, IssueType.Invalid, $"'{sinceText}' is not a valid _since value.");
            }
            conditions.Add(new LastUpdatedExpression(new DatePredicate(SearchPrefix.Ge, since, since)));
        }
        if (CareDates(request, ctx.Spec, compartment, out var careDates) is { } badDate)
        {
            return badDate;
        }
        if (careDates is not null)
        {
            conditions.Add(careDates);
        }
        int count;
        if (request.QueryValue("_count") is not { } countText)
        {
            count = ctx.Options.DefaultPageSize;
        }
        else if (!int.TryParse(countText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count))
        {
            return FhirResponse.Error(400, IssueType.Invalid, $"_count: '{countText}' is not a non-negative integer.");
        }
        count = Math.Clamp(count, 1, ctx.Options.MaxPageSize);
        var cursor = request.QueryValue("_cursor");
        var query = new SearchQuery(null, new AndExpression(conditions.ToImmutable())) { Count = count, Cursor = cursor };
        SearchResult page;
        try
        {
            page = await ctx.Store.SearchAsync(request.Tenant, query, ct).ConfigureAwait(false);
        }
        catch (ArgumentException) when (cursor is not null)
        {
            return FhirResponse.Error(400, IssueType.Invalid, "_cursor is not a paging cursor of this operation; follow the Bundle's next link.");
        }

        var entries = page.Matches.Select(r => new BundleEntry(BundleWriter.FullUrl(request.BaseUrl, r), r.Json) { SearchMode = "match" }).ToList();
        var linkParams = request.Query.Where(kv => s_linkParameters.Contains(kv.Key)).ToList();
        var path = $"{request.BaseUrl}/Patient/{id}/$everything";
        var links = new List<(string, string)> { ("self", Link(path, linkParams)) };
        if (page.NextCursor is not null)
        {
            links.Add(("next", Link(path, [.. linkParams, new("_cursor", page.NextCursor)])));
        }
        long? total = cursor is null && page.NextCursor is null ? entries.Count : null;
        return new FhirResponse(200, BundleWriter.Write("searchset", total, links, entries));
    }

    private static string Link(string path, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var q = QueryString.Format(pairs);
        return q.Length == 0 ? path : path + "?" + q;
    }

    /// <summary><c>start</c>/<c>end</c> as a condition (null when neither is given); an error response for a bad date.</summary>
    private static FhirResponse? CareDates(FhirRequest request, FhirSpec spec, CompartmentDefinition compartment, out SearchExpression? condition)
    {
        condition = null;
        var bounds = new List<DatePredicate>();
        foreach (var (name, prefix) in new[] { ("start", SearchPrefix.Ge), ("end", SearchPrefix.Le) })
        {
            if (request.QueryValue(name) is not { } text)
            {
                continue;
            }
            if (!SearchDates.TryParseRange(text, out var low, out var high))
            {
                return FhirResponse.Error(400, IssueType.Invalid, $"{name}: '{text}' is not a date.");
            }
            bounds.Add(new DatePredicate(prefix, low, high));
        }
        if (bounds.Count == 0)
        {
            return null;
        }
        var dated = compartment.Members.Keys
            .Where(t => spec.FindSearchParameter(t, "date") is { Type: SearchParamType.Date })
            .Order(StringComparer.Ordinal).ToImmutableArray();
        SearchExpression inRange = bounds.Count == 1
            ? new ParameterExpression("date", bounds[0])
            : new AndExpression([.. bounds.Select(b => (SearchExpression)new ParameterExpression("date", b))]);
        condition = new OrExpression([
            new NotExpression(new TypeExpression(dated)),
            new MissingExpression("date", SearchParamType.Date, IsMissing: true),
            inRange,
        ]);
        return null;
    }
}
