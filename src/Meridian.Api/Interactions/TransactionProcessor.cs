using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// A transaction Bundle, all or nothing: (1) every entry's identity is settled first — POSTs get
/// their server id (or the match of If-None-Exist), conditional PUT/DELETE URLs are searched;
/// (2) fullUrls (<c>urn:uuid:</c>) and conditional references are rewritten to <c>Type/id</c>;
/// (3) each write is planned (parse → validate → index) and any failure fails the Bundle;
/// (4) the writes run in ONE store transaction, in the spec's order DELETE, POST, PUT/PATCH;
/// (5) GETs run after the commit and so see its effects.
/// </summary>
internal static class TransactionProcessor
{
    private sealed class Slot(BundleRequestEntry entry)
    {
        public BundleRequestEntry Entry { get; } = entry;
        public string? Type;
        public string? Id;
        public bool Matched;       // conditional create that found its resource
        public WriteStep? Step;
        public FhirResponse? Response;
        public FhirRequest? Request;
    }

    public static async Task<FhirResponse> RunAsync(FhirRequest request, List<BundleRequestEntry> entries, InteractionContext ctx, Lazy<byte[]> capabilities, CancellationToken ct)
    {
        await Authorization.AccessGate.CheckEntriesAsync(request, entries, ctx, ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var (response, replan) = await RunOnceAsync(request, entries, ctx, capabilities, lastAttempt: attempt >= ConditionalKey.MaxAttempts, ct).ConfigureAwait(false);
            if (!replan)
            {
                return response!;
            }
            // A conditional create lost its claim to a resource another writer created after this
            // Bundle's search (docs/adr: conditional-create claims): plan again from the original
            // entries (the first plan rewrote their references in place), so that the entry now
            // resolves to the winner's resource (200) and references to it point there.
            entries = BundleRequest.Read(request.Body).Entries;
        }
    }

    private static async Task<(FhirResponse? Response, bool Replan)> RunOnceAsync(FhirRequest request, List<BundleRequestEntry> entries, InteractionContext ctx, Lazy<byte[]> capabilities, bool lastAttempt, CancellationToken ct)
    {
        var slots = entries.Select(e => new Slot(e)).ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);

        // (1) identities
        foreach (var s in slots)
        {
            var failure = await SettleIdentityAsync(request, s, ctx, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                return (Fail(s, failure), false);
            }
            if (s.Entry.FullUrl is { } fullUrl && s.Type is not null && s.Id is not null && s.Entry.Method is "POST" or "PUT")
            {
                map[fullUrl] = $"{s.Type}/{s.Id}";
            }
        }
        var written = new HashSet<(string, string)>();
        foreach (var s in slots)
        {
            if (s.Entry.Method != "GET" && s.Type is not null && s.Id is not null && !s.Matched && !written.Add((s.Type, s.Id)))
            {
                // 409: the entries conflict with each other (the spec forbids overlapping identities).
                return (Fail(s, FhirResponse.Error(409, "conflict", $"{s.Type}/{s.Id} is written by more than one entry of the transaction.")), false);
            }
        }

        // (2) references
        var referenceError = await ReferenceRewriter.RewriteAsync([.. slots.Select(s => (System.Text.Json.Nodes.JsonNode?)s.Entry.Resource)], map,
            reference => ResolveAsync(request, reference, ctx, ct)).ConfigureAwait(false);
        if (referenceError is not null)
        {
            var status = referenceError.Contains("more than one", StringComparison.Ordinal) ? 412 : 400;
            return (FhirResponse.Error(status, IssueType.Processing, referenceError), false);
        }

        // (3) plan
        foreach (var s in slots.Where(s => s.Entry.Method != "GET"))
        {
            s.Request = s.Entry.ToRequest(request, null);
            if (ContentNegotiation.Check(s.Request) is { } refused)
            {
                return (Fail(s, refused), false);
            }
            s.Step = await PlanAsync(s, ctx, ct).ConfigureAwait(false);
            if (s.Step.Done is { IsSuccess: false } failed)
            {
                return (Fail(s, failed), false);
            }
        }

        // (4) one store transaction, spec order
        var ordered = slots.Where(s => s.Step?.Operation is not null)
            .OrderBy(s => Order(s.Entry.Method)).ToList();
        if (ordered.Count > 0)
        {
            var (result, replan) = await TransactAsync(request, ordered, ctx, lastAttempt, ct).ConfigureAwait(false);
            if (replan)
            {
                return (null, true);
            }
            if (result.Failure is { } f)
            {
                var culprit = f.Index >= 0 && f.Index < ordered.Count ? ordered[f.Index] : ordered[0];
                return (Fail(culprit, Responses.StoreFailure(f)), false);
            }
            for (var i = 0; i < ordered.Count; i++)
            {
                ordered[i].Response = ordered[i].Step!.Respond!(result.Results[i]);
            }
        }
        foreach (var s in slots.Where(s => s.Step?.Done is not null))
        {
            s.Response = s.Step!.Done;
        }

        // (5) reads after the commit
        foreach (var s in slots.Where(s => s.Entry.Method == "GET"))
        {
            var get = s.Entry.ToRequest(request, null);
            s.Response = await Router.DispatchAsync(get, ctx, capabilities, ct).ConfigureAwait(false);
        }
        var entriesOut = slots.Select(s => BundleInteraction.ResponseEntry(s.Response!)).ToList();
        return (new FhirResponse(200, BundleWriter.Write("transaction-response", null, [], entriesOut)), false);
    }

    /// <summary>
    /// Runs the writes. A conditional create whose claim (<see cref="ConditionalKey"/>) another
    /// writer holds is searched again: still no match means the holder no longer matches, so the
    /// claim is taken over and the transaction re-run; a match means another writer created the
    /// resource after this Bundle's search: the Bundle is planned again (Replan), where the entry
    /// then resolves to that resource, as if the other writer had committed before this Bundle
    /// arrived. Only when the attempts are used up does it answer 409 (retry).
    /// </summary>
    private static async Task<(TransactResult Result, bool Replan)> TransactAsync(FhirRequest request, List<Slot> ordered, InteractionContext ctx, bool lastAttempt, CancellationToken ct)
    {
        var operations = ordered.Select(s => s.Step!.Operation!).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            var result = await ctx.Store.TransactAsync(request.Tenant, operations, request.WriteOptions, ct).ConfigureAwait(false);
            if (result.Failure is not { Kind: StoreFailureKind.ConditionalKeyTaken } taken || attempt >= ConditionalKey.MaxAttempts
                || taken.Index < 0 || taken.Index >= operations.Length || operations[taken.Index] is not CreateOperation create)
            {
                return (result, false);
            }
            var criteria = ordered[taken.Index].Entry.Header("ifNoneExist") ?? "";
            var (_, q) = QueryString.SplitUrl(criteria);
            var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, create.Type, q ?? criteria, 1, ct).ConfigureAwait(false);
            if (match.Error is null && !match.Matches.IsEmpty && !lastAttempt)
            {
                return (result, true);
            }
            if (match.Error is not null || !match.Matches.IsEmpty)
            {
                return (TransactResult.Failed(taken with { Kind = StoreFailureKind.Conflict, Message = $"{create.Type} matching If-None-Exist '{criteria}' was created concurrently; retry the transaction." }), false);
            }
            operations[taken.Index] = create with { TakeOverFrom = taken.HolderId };
        }
    }

    private static int Order(string method) => method switch
    {
        "DELETE" => 0,
        "POST" => 1,
        _ => 2,
    };

    private static FhirResponse Fail(Slot s, FhirResponse error)
    {
        var issues = error.Issues.IsEmpty ? [Issue.Error(IssueType.Processing, $"Entry {s.Entry.Index} failed with {error.Status}.")] : error.Issues;
        var located = issues.Select(i => i with { Message = $"Bundle.entry[{s.Entry.Index}] ({s.Entry.Method} {s.Entry.Url}): {i.Message}" }).ToList();
        return FhirResponse.Outcome(error.Status, located);
    }

    /// <summary>Fixes the type and id each write will touch, running conditional searches.</summary>
    private static async Task<FhirResponse?> SettleIdentityAsync(FhirRequest outer, Slot s, InteractionContext ctx, CancellationToken ct)
    {
        var e = s.Entry;
        var url = e.Url.StartsWith(outer.BaseUrl + "/", StringComparison.Ordinal) ? e.Url[(outer.BaseUrl.Length + 1)..] : e.Url;
        var (path, criteria) = QueryString.SplitUrl(url);
        var route = Route.Parse(path);
        if (route.Type is not null && !ctx.Spec.IsResourceType(route.Type))
        {
            return FhirResponse.Error(404, IssueType.NotSupported, $"'{route.Type}' is not a resource type.");
        }
        s.Type = route.Type;
        s.Id = route.Id;
        switch (e.Method)
        {
            case "GET":
                return null;
            case "POST" when route.Kind == RouteKind.Type:
                s.Id = InteractionContext.NewId();
                if (e.Header("ifNoneExist") is { } ifNoneExist)
                {
                    var (_, q) = QueryString.SplitUrl(ifNoneExist);
                    var match = await ConditionalMatch.FindAsync(ctx, outer.Tenant, s.Type!, q ?? ifNoneExist, 2, ct).ConfigureAwait(false);
                    if (match.Error is not null)
                    {
                        return match.Error;
                    }
                    if (match.Matches.Length > 1)
                    {
                        return FhirResponse.Error(412, IssueType.Processing, $"If-None-Exist '{ifNoneExist}' matches more than one {s.Type}.");
                    }
                    if (match.Matches.Length == 1)
                    {
                        s.Id = match.Matches[0].Id;
                        s.Matched = true;
                        s.Step = WriteStep.Finished(Responses.Written(e.ToRequest(outer, null), 200, match.Matches[0], withLocation: true));
                    }
                }
                return null;
            case "PUT" or "DELETE" when route.Kind == RouteKind.Type && criteria is not null:
                var found = await ConditionalMatch.FindAsync(ctx, outer.Tenant, s.Type!, criteria, 2, ct).ConfigureAwait(false);
                if (found.Error is not null)
                {
                    return found.Error;
                }
                if (found.Matches.Length > 1)
                {
                    return FhirResponse.Error(412, IssueType.Processing, $"The criteria '{criteria}' match more than one {s.Type}.");
                }
                s.Id = found.Matches.Length == 1 ? found.Matches[0].Id
                    : e.Method == "PUT" ? (BodyId(e) ?? InteractionContext.NewId())
                    : null;
                if (s.Id is null)
                {
                    s.Step = WriteStep.Finished(FhirResponse.Empty(204)); // conditional delete without a match
                }
                e.Url = s.Id is null ? e.Url : $"{s.Type}/{s.Id}";
                return null;
            case "PUT" or "DELETE" or "PATCH" when route.Kind == RouteKind.Instance:
                return null;
            default:
                return FhirResponse.Error(400, IssueType.NotSupported, $"{e.Method} {e.Url} is not a transaction interaction.");
        }
    }

    private static string? BodyId(BundleRequestEntry e) =>
        e.Resource?["id"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var id) && Router.IsValidId(id) ? id : null;

    private static async Task<WriteStep> PlanAsync(Slot s, InteractionContext ctx, CancellationToken ct)
    {
        if (s.Step is not null)
        {
            return s.Step; // settled already (conditional create match, conditional delete without match)
        }
        var r = s.Request!;
        return s.Entry.Method switch
        {
            "POST" => WithConditionalKey(await CreateInteraction.PlanAsync(r, s.Type!, s.Id!, ctx, ct).ConfigureAwait(false), s.Entry.Header("ifNoneExist")),
            "PUT" => UpdateInteraction.Plan(r, s.Type!, s.Id!, ctx, requireBodyId: false),
            "PATCH" => await PatchInteraction.PlanAsync(r, s.Type!, s.Id!, ctx, ct).ConfigureAwait(false),
            "DELETE" => DeleteInteraction.Plan(r, s.Type!, s.Id!),
            _ => WriteStep.Finished(FhirResponse.Error(400, IssueType.NotSupported, $"{s.Entry.Method} is not a transaction interaction.")),
        };
    }

    /// <summary>The entry's If-None-Exist was searched while settling identities; the claim makes it unique across processes.</summary>
    private static WriteStep WithConditionalKey(WriteStep step, string? ifNoneExist) =>
        ifNoneExist is not null && step.Operation is CreateOperation create
            ? step with { Operation = create with { ConditionalKey = ConditionalKey.Normalize(ifNoneExist) } }
            : step;

    private static async Task<(string?, string?)> ResolveAsync(FhirRequest outer, string reference, InteractionContext ctx, CancellationToken ct)
    {
        var (type, criteria) = QueryString.SplitUrl(reference);
        if (!ctx.Spec.IsResourceType(type))
        {
            return (null, $"Conditional reference '{reference}' names no resource type.");
        }
        var match = await ConditionalMatch.FindAsync(ctx, outer.Tenant, type, criteria ?? "", 2, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return (null, $"Conditional reference '{reference}': {string.Join("; ", match.Error.Issues.Select(i => i.Message))}");
        }
        return match.Matches.Length switch
        {
            1 => ($"{type}/{match.Matches[0].Id}", null),
            0 => (null, $"Conditional reference '{reference}' matches nothing."),
            _ => (null, $"Conditional reference '{reference}' matches more than one {type}."),
        };
    }
}
