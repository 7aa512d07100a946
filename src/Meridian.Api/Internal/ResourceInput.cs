using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Search;
using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>A resource ready to store (its tree and its content: JSON plus search index), or
/// the error response that stops the write.</summary>
internal readonly record struct PreparedResource(FhirNode? Resource, ResourceContent? Content, FhirResponse? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// The one path every write takes: parse → validate → extract search index. Nothing that fails
/// validation reaches the store. Malformed input (not JSON, not a resource, wrong type) is 400;
/// a resource the validator rejects is 422.
/// </summary>
internal static class ResourceInput
{
    public static PreparedResource Prepare(InteractionContext ctx, ReadOnlyMemory<byte> body, string? expectedType)
    {
        if (body.IsEmpty)
        {
            return Fail(FhirResponse.Error(400, IssueType.Required, "The request has no body; a FHIR resource is required."));
        }
        var parsed = FhirJsonParser.R4.Parse(body);
        return Prepare(ctx, parsed, expectedType);
    }

    public static PreparedResource Prepare(InteractionContext ctx, ParseResult parsed, string? expectedType)
    {
        if (parsed.Resource is null)
        {
            return Fail(FhirResponse.Outcome(400, parsed.Issues));
        }
        return Prepare(ctx, parsed.Resource, expectedType);
    }

    /// <summary>Validates an already parsed (or patched) tree and builds its content.</summary>
    public static PreparedResource Prepare(InteractionContext ctx, FhirNode resource, string? expectedType)
    {
        if (!resource.IsResource || !ctx.Spec.IsResourceType(resource.TypeName))
        {
            return Fail(FhirResponse.Error(400, IssueType.Invalid, $"'{resource.TypeName}' is not a FHIR resource type."));
        }
        if (expectedType is not null && resource.TypeName != expectedType)
        {
            return Fail(FhirResponse.Error(400, IssueType.Invalid,
                $"The body is a {resource.TypeName} but the URL names {expectedType}."));
        }
        var issues = ctx.Validator.Validate(resource);
        foreach (var issue in issues)
        {
            if (issue.IsError)
            {
                return Fail(FhirResponse.Outcome(422, issues));
            }
        }
        var content = new ResourceContent(FhirJsonWriter.ToUtf8(resource), SearchIndexer.R4.Extract(resource));
        return new PreparedResource(resource, content, null);
    }

    private static PreparedResource Fail(FhirResponse error) => new(null, null, error);
}
