using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api;

/// <summary>
/// The answer to a <see cref="FhirRequest"/>: status, FHIR JSON body (a resource, a Bundle or an
/// OperationOutcome; empty for 204/304) and the headers FHIR defines. A host copies it to the wire.
/// </summary>
public sealed record FhirResponse(int Status, ReadOnlyMemory<byte> Body)
{
    public string? ETag { get; init; }
    public DateTimeOffset? LastModified { get; init; }
    public string? Location { get; init; }
    public string? ContentLocation { get; init; }

    /// <summary>For 429/503: when the client may try again (the host sends <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The media type of <see cref="Body"/> when it is not FHIR JSON (e.g. NDJSON); null means FHIR JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>The issues when this response is an error (also serialised in <see cref="Body"/>).</summary>
    public ImmutableArray<Issue> Issues { get; init; } = [];

    /// <summary>How the request was authorized (set by <see cref="FhirApi"/> on every response; audit records it).</summary>
    public Authorization.AuthorizationDecision? Authorization { get; init; }

    public bool IsSuccess => Status is >= 200 and < 300;

    public static FhirResponse Outcome(int status, IReadOnlyCollection<Issue> issues) =>
        new(status, System.Text.Encoding.UTF8.GetBytes(OperationOutcomeWriter.ToJson(issues, indented: false)))
        {
            Issues = [.. issues],
        };

    public static FhirResponse Error(int status, string code, string message) =>
        Outcome(status, [Issue.Error(code, message)]);

    public static FhirResponse Empty(int status) => new(status, ReadOnlyMemory<byte>.Empty);
}
