using System.Globalization;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>Builds responses that carry a stored version, with the headers FHIR asks for.</summary>
internal static class Responses
{
    public static string ETag(long version) => "W/\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    public static string VersionUrl(string baseUrl, StoredResource r) =>
        $"{baseUrl}/{r.Type}/{r.Id}/_history/{r.VersionText}";

    /// <summary>A read: the stored bytes as they are, ETag and Last-Modified.</summary>
    public static FhirResponse Resource(int status, StoredResource r) =>
        new(status, r.Json)
        {
            ETag = ETag(r.VersionId),
            LastModified = r.LastUpdated,
        };

    /// <summary>A write's answer: body per <c>Prefer: return=</c>, Location for creates.</summary>
    public static FhirResponse Written(FhirRequest request, int status, StoredResource r, bool withLocation)
    {
        var body = PreferHeader.Return(request.Headers.Prefer) switch
        {
            PreferReturn.Minimal => ReadOnlyMemory<byte>.Empty,
            PreferReturn.OperationOutcome => FhirResponse.Outcome(status, [new Issue(IssueSeverity.Information, IssueType.Informational,
                $"{r.Type}/{r.Id} version {r.VersionText} {(status == 201 ? "created" : "updated")}.")]).Body,
            _ => r.Json,
        };
        return new FhirResponse(status, body)
        {
            ETag = ETag(r.VersionId),
            LastModified = r.LastUpdated,
            Location = withLocation ? VersionUrl(request.BaseUrl, r) : null,
        };
    }

    /// <summary>A store failure as the HTTP status FHIR gives it.</summary>
    public static FhirResponse StoreFailure(StoreFailure failure) => failure.Kind switch
    {
        StoreFailureKind.PreconditionFailed => FhirResponse.Error(412, "conflict", failure.Message),
        StoreFailureKind.NotFound => FhirResponse.Error(404, IssueType.NotFound, failure.Message),
        StoreFailureKind.Gone => FhirResponse.Error(410, "deleted", failure.Message),
        StoreFailureKind.AlreadyExists => FhirResponse.Error(409, "duplicate", failure.Message),
        StoreFailureKind.Invalid => FhirResponse.Error(400, IssueType.Invalid, failure.Message),
        _ => FhirResponse.Error(409, "conflict", failure.Message),
    };

    public static FhirResponse NotFound(string type, string id) =>
        FhirResponse.Error(404, IssueType.NotFound, $"{type}/{id} is not known.");

    public static FhirResponse Gone(StoredResource r) =>
        FhirResponse.Error(410, "deleted", $"{r.Type}/{r.Id} was deleted (version {r.VersionText}).") with
        {
            ETag = ETag(r.VersionId),
            LastModified = r.LastUpdated,
        };
}
