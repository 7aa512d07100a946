using Meridian.Api.Internal;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Authorization;

/// <summary>
/// The first line: before an interaction runs, does the caller hold the permissions it needs on
/// its type, and — for an instance — is that instance one the caller may reach (patient
/// compartment, scope restrictions)? Every route passes here, including each entry of a batch
/// and of a transaction. A clinician refused here may break the glass: the interaction then
/// runs under the break-glass policy and the request is flagged.
/// </summary>
internal static class AccessGate
{
    public const string ForbiddenCode = "forbidden";

    public static FhirResponse Forbidden(string message) => FhirResponse.Error(403, ForbiddenCode, message);

    public static FhirResponse AuditEventWriteRefused() =>
        FhirResponse.Error(405, Fhir.Outcomes.IssueType.NotSupported, "AuditEvent resources are written by the server's audit trail only; the API never creates, changes or deletes them.");

    public static string Verb(ScopePermissions p) => p switch
    {
        ScopePermissions.Create => "creating",
        ScopePermissions.Read => "reading",
        ScopePermissions.Update => "updating",
        ScopePermissions.Delete => "deleting",
        ScopePermissions.Search => "searching",
        _ => "accessing",
    };

    /// <summary>Checks, then runs <paramref name="dispatch"/> under the policy that allowed it
    /// (the caller's, or the break-glass override), turning second-line refusals into responses.</summary>
    public static async Task<FhirResponse> RunAsync(FhirRequest request, Route route, InteractionContext ctx,
        Func<InteractionContext, Task<FhirResponse>> dispatch, CancellationToken ct)
    {
        var policy = ctx.Access;
        if (policy is null)
        {
            return await dispatch(ctx).ConfigureAwait(false);
        }
        var refusal = await CheckAsync(request, route, ctx, ct).ConfigureAwait(false);
        if (refusal is not null && refusal.Status == 403 && policy.BreakGlass is { } glass)
        {
            var glassCtx = ctx.ForAccess(glass);
            if (await CheckAsync(request, route, glassCtx, ct).ConfigureAwait(false) is null)
            {
                glass.Tracker.BrokeGlass();
                ctx = glassCtx;
                refusal = null;
            }
        }
        if (refusal is not null)
        {
            policy.Tracker.Denied(refusal.Issues.FirstOrDefault()?.Message ?? "denied");
            return refusal;
        }
        try
        {
            return await dispatch(ctx).ConfigureAwait(false);
        }
        catch (AccessDeniedException denied)
        {
            if (denied.Response.Status == 403 && ctx.Access is { IsBreakGlass: false, BreakGlass: { } glass2 })
            {
                // Refused by the second line before anything was written: run again under the override.
                try
                {
                    var answer = await dispatch(ctx.ForAccess(glass2)).ConfigureAwait(false);
                    glass2.Tracker.BrokeGlass();
                    return answer;
                }
                catch (AccessDeniedException again)
                {
                    denied = again;
                }
            }
            policy.Tracker.Denied(denied.Message);
            return denied.Response;
        }
    }

    /// <summary>
    /// A transaction is all or nothing, so every entry is checked before any is planned: one
    /// refused entry refuses the transaction (403 naming the entry). Thrown, not returned, so
    /// <see cref="RunAsync"/> can retry the whole transaction under a break-glass override.
    /// </summary>
    public static async Task CheckEntriesAsync(FhirRequest outer, IReadOnlyList<BundleRequestEntry> entries, InteractionContext ctx, CancellationToken ct)
    {
        if (ctx.Access is null)
        {
            return;
        }
        foreach (var e in entries)
        {
            // Only what the check reads: no body (serialising every entry twice would cost imports).
            var url = e.Url.StartsWith(outer.BaseUrl + "/", StringComparison.Ordinal) ? e.Url[(outer.BaseUrl.Length + 1)..] : e.Url;
            var inner = new FhirRequest(e.Method, QueryString.SplitUrl(url).Path)
            {
                Tenant = outer.Tenant,
                Caller = outer.Caller,
                Headers = new FhirRequestHeaders { IfNoneExist = e.Header("ifNoneExist") },
            };
            var route = Route.Parse(inner.Path);
            if (route.Type is not null && !ctx.Spec.IsResourceType(route.Type))
            {
                continue; // the transaction reports it
            }
            if (await CheckAsync(inner, route, ctx, ct).ConfigureAwait(false) is { } refused)
            {
                var message = $"Bundle.entry[{e.Index}] ({e.Method} {e.Url}): {refused.Issues.FirstOrDefault()?.Message}";
                throw new AccessDeniedException(FhirResponse.Error(refused.Status, refused.Issues.FirstOrDefault()?.Code ?? ForbiddenCode, message));
            }
        }
    }

    /// <summary>The refusal for <paramref name="request"/>, or null when the caller may go on.</summary>
    public static async Task<FhirResponse?> CheckAsync(FhirRequest request, Route route, InteractionContext ctx, CancellationToken ct)
    {
        var p = ctx.Access!;
        var m = request.Method;
        var type = route.Type;
        if (type == AccessPolicy.AuditEvent && m is "POST" or "PUT" or "PATCH" or "DELETE" && route.Kind is RouteKind.Type or RouteKind.Instance)
        {
            return AuditEventWriteRefused();
        }
        if (p.IsUnrestricted)
        {
            return null;
        }
        const ScopePermissions C = ScopePermissions.Create, R = ScopePermissions.Read, U = ScopePermissions.Update,
            D = ScopePermissions.Delete, S = ScopePermissions.Search;
        return (route.Kind, m) switch
        {
            (RouteKind.Base, "GET") or (RouteKind.SystemSearch, "POST") or (RouteKind.SystemHistory, "GET") =>
                p.AllowsAnyType(S) ? null : Forbidden("Your access allows searching no resource type."),
            (RouteKind.Type, "GET") or (RouteKind.TypeSearch, "POST") or (RouteKind.TypeHistory, "GET") => Require(p, type!, S),
            (RouteKind.Type, "POST") => Require(p, type!, request.Headers.IfNoneExist is null ? C : C | S),
            (RouteKind.Type, "PUT") => Require(p, type!, U | S),
            (RouteKind.Type, "DELETE") => Require(p, type!, D | S),
            (RouteKind.Type, "PATCH") => Require(p, type!, U | S),
            (RouteKind.Instance, "GET") or (RouteKind.Version, "GET") => await InstanceAsync(p, ctx, request, type!, route.Id!, R, ct).ConfigureAwait(false),
            (RouteKind.Instance, "PUT" or "PATCH") => await InstanceAsync(p, ctx, request, type!, route.Id!, U, ct).ConfigureAwait(false),
            (RouteKind.Instance, "DELETE") => await InstanceAsync(p, ctx, request, type!, route.Id!, D, ct).ConfigureAwait(false),
            (RouteKind.InstanceHistory, "GET") => await InstanceAsync(p, ctx, request, type!, route.Id!, S, ct).ConfigureAwait(false),
            (RouteKind.TypeOperation, _) when route.Operation == "validate" =>
                AccessPolicy.Flags(ScopePermissions.All).Any(f => p.GrantFor(type!, f) is not null)
                    ? null : Forbidden($"Your access allows nothing on {type}, so neither validating it."),
            (RouteKind.InstanceOperation, _) when route.Operation is "validate" or "everything" =>
                await InstanceAsync(p, ctx, request, type!, route.Id!, R, ct).ConfigureAwait(false),
            _ => null, // metadata, bundles (each entry is checked), and routes the router refuses anyway
        };
    }

    private static FhirResponse? Require(AccessPolicy p, string type, ScopePermissions permissions)
    {
        foreach (var flag in AccessPolicy.Flags(permissions))
        {
            if (p.GrantFor(type, flag) is null)
            {
                return Forbidden($"Your access does not allow {Verb(flag)} {type} resources.");
            }
        }
        return null;
    }

    private static async Task<FhirResponse?> InstanceAsync(AccessPolicy p, InteractionContext ctx, FhirRequest request, string type, string id, ScopePermissions permission, CancellationToken ct)
    {
        if (Require(p, type, permission) is { } refused)
        {
            return refused;
        }
        var grant = p.GrantFor(type, permission)!;
        return await InstanceAllowedAsync(ctx.UnfilteredStore, ctx.SearchParser, p, request.Tenant, type, id, grant, ct).ConfigureAwait(false)
            ? null
            : Forbidden($"{type}/{id} is outside what your access allows (the patient compartment of Patient/{p.PatientContext}, or a restricted scope).");
    }

    /// <summary>Whether <paramref name="grant"/> reaches <c>type/id</c>: by a store search
    /// <c>_id=id</c> with the grant's filter, so reads and searches agree. A resource that does not
    /// exist (or is deleted) is "allowed" here: the interaction answers 404/410, revealing nothing.</summary>
    public static async Task<bool> InstanceAllowedAsync(IFhirStore store, ISearchQueryParser parser, AccessPolicy p, string tenant, string type, string id, Grant grant, CancellationToken ct)
    {
        if (grant.IsFull)
        {
            return true;
        }
        if (GrantFilter.TryBuild(p, parser, grant, type, out var filter))
        {
            var q = new SearchQuery(type, GrantFilter.Combine(new IdExpression([id]), filter)) { Count = 1 };
            var found = await store.SearchAsync(tenant, q, ct).ConfigureAwait(false);
            if (!found.Matches.IsEmpty)
            {
                return true;
            }
        }
        var current = await store.ReadAsync(tenant, type, id, ct).ConfigureAwait(false);
        return current is null || current.IsDeleted;
    }
}
