using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>Patient/[id]/$everything</c>: the patient and every current resource in its compartment,
/// the compartment taken from the spec's CompartmentDefinition (each member type and the
/// reference parameters that place it there). <c>_since</c> keeps resources updated since then;
/// <c>_type</c> restricts the member types. Answered as one searchset Bundle up to
/// <see cref="MaxEntries"/>.
/// </summary>
internal static class EverythingOperation
{
    private const int MaxEntries = 10_000;

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
        SearchExpression? since = null;
        if (request.QueryValue("_since") is { } sinceText)
        {
            if (!SearchDates.TryParseInstant(sinceText, out var s))
            {
                return FhirResponse.Error(400, IssueType.Invalid, $"'{sinceText}' is not a valid _since value.");
            }
            since = new LastUpdatedExpression(new DatePredicate(SearchPrefix.Ge, s, s));
        }
        var types = request.QueryValue("_type")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

        var entries = new List<BundleEntry> { new(BundleWriter.FullUrl(request.BaseUrl, patient), patient.Json) { SearchMode = "match" } };
        var seen = new HashSet<(string, string)> { ("Patient", id) };
        var target = new ReferencePredicate("Patient", id);
        foreach (var (type, parameters) in compartment.Members.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (parameters.IsEmpty || (types is not null && !types.Contains(type)) || !ctx.Spec.IsResourceType(type))
            {
                continue;
            }
            var alternatives = parameters
                .Where(p => p != "{def}" && ctx.Spec.FindSearchParameter(type, p) is not null)
                .Select(p => (SearchExpression)new ParameterExpression(p, target)).ToList();
            if (alternatives.Count == 0)
            {
                continue;
            }
            SearchExpression filter = alternatives.Count == 1 ? alternatives[0] : new OrExpression([.. alternatives]);
            if (since is not null)
            {
                filter = new AndExpression([filter, since]);
            }
            var query = new SearchQuery(type, filter) { Count = ctx.Options.MaxPageSize };
            while (entries.Count < MaxEntries)
            {
                var page = await ctx.Store.SearchAsync(request.Tenant, query, ct).ConfigureAwait(false);
                foreach (var r in page.Matches)
                {
                    if (seen.Add((r.Type, r.Id)))
                    {
                        entries.Add(new BundleEntry(BundleWriter.FullUrl(request.BaseUrl, r), r.Json) { SearchMode = "match" });
                    }
                }
                if (page.NextCursor is null)
                {
                    break;
                }
                query = query with { Cursor = page.NextCursor };
            }
        }
        var self = $"{request.BaseUrl}/Patient/{id}/$everything";
        return new FhirResponse(200, BundleWriter.Write("searchset", entries.Count, [("self", self)], entries));
    }
}
