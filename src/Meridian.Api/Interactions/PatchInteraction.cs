using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>PATCH [type]/[id]</c> with a JSON Patch (<c>application/json-patch+json</c>) or a FHIRPath
/// Patch Parameters (<c>application/fhir+json</c>). The patched resource goes through the same
/// parse → validate → index path as any write and is stored as a version-aware update of the
/// version it was computed from, so a concurrent writer can never be overwritten silently: with
/// <c>If-Match</c> the client sees 412; without, the patch is recomputed on the newer version.
/// </summary>
internal static class PatchInteraction
{
    private const int Attempts = 5;

    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var step = await PlanAsync(request, type, id, ctx, ct).ConfigureAwait(false);
            if (step.Done is not null)
            {
                return step.Done;
            }
            var result = await ctx.Store.TransactAsync(request.Tenant, [step.Operation!], request.WriteOptions, ct).ConfigureAwait(false);
            if (result.Failure is { } f)
            {
                if (f.Kind == StoreFailureKind.PreconditionFailed && request.Headers.IfMatch is null && attempt < Attempts)
                {
                    continue; // someone wrote in between; patch the newer version
                }
                return Responses.StoreFailure(f);
            }
            return step.Respond!(result.Results[0]);
        }
    }

    public static async Task<WriteStep> PlanAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var current = await ctx.Store.ReadAsync(request.Tenant, type, id, ct).ConfigureAwait(false);
        if (current is null)
        {
            return WriteStep.Finished(Responses.NotFound(type, id));
        }
        if (current.IsDeleted)
        {
            return WriteStep.Finished(Responses.Gone(current));
        }
        if (request.Headers.IfMatch is { } header)
        {
            if (!ETags.TryParse(header, out var expected))
            {
                return WriteStep.Finished(FhirResponse.Error(400, IssueType.Invalid, $"If-Match '{header}' is not a version ETag like W/\"3\"."));
            }
            if (expected != current.VersionId)
            {
                return WriteStep.Finished(FhirResponse.Error(412, "conflict", $"{type}/{id} is at version {current.VersionText}, not {expected}."));
            }
        }
        if (request.Body.IsEmpty)
        {
            return WriteStep.Finished(FhirResponse.Error(400, IssueType.Required, "A patch needs a body."));
        }
        var target = JsonNode.Parse(current.Json.Span) as JsonObject;
        if (target is null)
        {
            return WriteStep.Finished(FhirResponse.Error(500, IssueType.Exception, "The stored resource is not a JSON object."));
        }
        var error = ContentNegotiation.MediaType(request.Headers.ContentType) == "application/json-patch+json"
            ? ApplyJsonPatch(target, request.Body)
            : ApplyFhirPathPatch(target, request.Body);
        if (error is not null)
        {
            return WriteStep.Finished(error);
        }
        var patched = FhirJsonParser.R4.Parse(JsonSerializer.SerializeToUtf8Bytes(target));
        if (patched.Resource is null)
        {
            return WriteStep.Finished(FhirResponse.Outcome(422, patched.Issues));
        }
        if (patched.Resource.ResourceId != id)
        {
            return WriteStep.Finished(FhirResponse.Error(422, IssueType.Invalid, "A patch may not change the resource id."));
        }
        var prepared = ResourceInput.Prepare(ctx, patched, type);
        if (prepared.Failed)
        {
            var e = prepared.Error!;
            return WriteStep.Finished(e.Status == 400 ? e with { Status = 422 } : e);
        }
        var op = new UpdateOperation(type, id, prepared.Content!, current.VersionId) { AllowCreate = false };
        return WriteStep.Write(op, result => Responses.Written(request, 200, result.Resource!, withLocation: false));
    }

    private static FhirResponse? ApplyJsonPatch(JsonObject target, ReadOnlyMemory<byte> body)
    {
        var message = JsonPatch.Apply(target, body, out var malformed);
        return message is null ? null : FhirResponse.Error(malformed ? 400 : 422, IssueType.Processing, message);
    }

    private static FhirResponse? ApplyFhirPathPatch(JsonObject target, ReadOnlyMemory<byte> body)
    {
        var parsed = FhirJsonParser.R4.Parse(body, "Parameters");
        if (parsed.Resource is null || parsed.HasErrors)
        {
            return FhirResponse.Outcome(400, parsed.Issues.IsEmpty
                ? [Issue.Error(IssueType.Invalid, "A FHIRPath Patch body must be a Parameters resource.")]
                : parsed.Issues);
        }
        var message = FhirPathPatch.Apply(target, parsed.Resource);
        return message is null ? null : FhirResponse.Error(422, IssueType.Processing, message);
    }
}
