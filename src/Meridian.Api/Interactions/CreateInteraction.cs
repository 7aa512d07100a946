using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>POST [type]</c>: the server assigns the id (any id in the body is replaced) and answers
/// 201 with Location. With <c>If-None-Exist</c> (conditional create): one match → 200 with
/// that resource and nothing written; several → 412; none → an ordinary create.
/// </summary>
internal static class CreateInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, InteractionContext ctx, CancellationToken ct)
    {
        using var serialised = request.Headers.IfNoneExist is { } criteria
            ? await ctx.Locks.AcquireAsync(request.Tenant, type, criteria, ct).ConfigureAwait(false)
            : null;
        var id = InteractionContext.NewId();
        string? takeOverFrom = null;
        for (var attempt = 0; attempt < ConditionalKey.MaxAttempts; attempt++)
        {
            // Each attempt searches again: after losing the claim the usual answer is the resource
            // the other writer (maybe another server process) just created.
            var step = await PlanAsync(request, type, id, ctx, ct).ConfigureAwait(false);
            if (step.Done is not null || step.Operation is not CreateOperation { ConditionalKey: not null } create)
            {
                return await step.ExecuteAsync(request, ctx, ct).ConfigureAwait(false);
            }
            var result = await ctx.Store.TransactAsync(request.Tenant, [create with { TakeOverFrom = takeOverFrom }], null, ct).ConfigureAwait(false);
            if (result.Failure is not { Kind: StoreFailureKind.ConditionalKeyTaken } failure)
            {
                return result.Failure is { } other ? Responses.StoreFailure(other) : step.Respond!(result.Results[0]);
            }
            // Still no match on the next search means the holder was deleted or changed so that
            // it no longer matches: take its claim over (compare-and-swap in the store).
            takeOverFrom = failure.HolderId;
        }
        return FhirResponse.Error(409, "conflict", $"Concurrent conditional creates of {type} kept colliding; retry the request.");
    }

    /// <param name="id">The id to create under, always a fresh <see cref="InteractionContext.NewId"/>
    /// (a transaction chooses it before planning, so other entries can refer to it).</param>
    public static async Task<WriteStep> PlanAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var prepared = ResourceInput.Prepare(ctx, request.Body, type);
        if (prepared.Failed)
        {
            return WriteStep.Finished(prepared.Error!);
        }
        if (request.Headers.IfNoneExist is { } criteria)
        {
            var existing = await FindExistingAsync(request, type, criteria, ctx, ct).ConfigureAwait(false);
            if (existing is not null)
            {
                return WriteStep.Finished(existing);
            }
        }
        var key = request.Headers.IfNoneExist is { } ifNoneExist ? ConditionalKey.Normalize(ifNoneExist) : null;
        return WriteStep.Write(new CreateOperation(type, prepared.Content!, id) { ConditionalKey = key, FreshId = true }, result =>
            Responses.Written(request, 201, result.Resource!, withLocation: true));
    }

    /// <summary>The answer when <c>If-None-Exist</c> matched (or failed), null to go on creating.</summary>
    private static async Task<FhirResponse?> FindExistingAsync(FhirRequest request, string type, string criteria, InteractionContext ctx, CancellationToken ct)
    {
        var (_, query) = QueryString.SplitUrl(criteria);
        var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, type, query ?? criteria, 2, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return match.Error;
        }
        return match.Matches.Length switch
        {
            0 => null,
            1 => Responses.Written(request, 200, match.Matches[0], withLocation: true),
            _ => FhirResponse.Error(412, IssueType.Processing, $"If-None-Exist '{criteria}' matches more than one {type}."),
        };
    }
}
