using System.Collections.Immutable;
using Meridian.Api;

namespace Meridian.Audit;

/// <summary>
/// Everything one AuditEvent says, before it is written as FHIR JSON
/// (<see cref="AuditEventWriter"/>): the interaction (<see cref="Subtype"/>, <see cref="Action"/>),
/// when, the outcome (<c>0</c> success, <c>4</c> minor failure: the request was refused or
/// invalid, <c>8</c> serious failure: the server failed), who (<see cref="Caller"/>), the
/// resources by versioned reference, the search query, and the patients involved.
/// </summary>
public sealed record AuditRecord(
    string Tenant,
    string Subtype,
    string Action,
    DateTimeOffset Recorded,
    string Outcome,
    Caller Caller)
{
    public string? OutcomeDescription { get; init; }

    /// <summary>The FHIR operation name (without <c>$</c>) for subtype <c>operation</c>.</summary>
    public string? Operation { get; init; }

    /// <summary>Method and path relative to the FHIR base (<c>GET Patient/1</c>), for the reader.</summary>
    public string? Request { get; init; }

    /// <summary>The query string of a search, recorded base64 in <c>entity.query</c>.</summary>
    public string? Query { get; init; }

    /// <summary><c>Type/id</c> or <c>Type/id/_history/v</c> of each resource the interaction touched.</summary>
    public ImmutableArray<string> Resources { get; init; } = [];

    /// <summary><c>Patient/id</c> of each patient whose data was involved.</summary>
    public ImmutableArray<string> Patients { get; init; } = [];

    /// <summary>BALP outcome code for an HTTP status.</summary>
    public static string OutcomeOf(int status) => status switch
    {
        < 400 => "0",
        < 500 => "4",
        _ => "8",
    };
}
