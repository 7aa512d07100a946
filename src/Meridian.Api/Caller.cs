using System.Collections.Immutable;

namespace Meridian.Api;

/// <summary>
/// Who makes a request, as established by whoever authenticated it: the HTTP host from a
/// bearer token, an HL7 v2 channel or device gateway from its configured identity. Every
/// pipeline enters <see cref="FhirApi"/> with one, so authorization and audit see the same
/// facts whatever the transport. Immutable; built once per request.
/// </summary>
public sealed record Caller
{
    /// <summary>OAuth client (<c>client_id</c> / <c>azp</c>), or the pipeline name for in-process callers.</summary>
    public string? ClientId { get; init; }

    /// <summary>The authenticated end user (<c>sub</c>), when a user is involved.</summary>
    public string? UserId { get; init; }

    /// <summary>SMART <c>fhirUser</c>: the user's own resource (<c>Practitioner/123</c>).</summary>
    public string? FhirUser { get; init; }

    /// <summary>Roles the user or client holds (clinician, nurse, auditor, integration, …).</summary>
    public ImmutableArray<string> Roles { get; init; } = [];

    /// <summary>Granted scopes exactly as in the token (SMART v1 or v2 syntax).</summary>
    public ImmutableArray<string> Scopes { get; init; } = [];

    /// <summary>Patient id of a patient-context launch; <c>patient/</c> scopes are limited to its compartment.</summary>
    public string? PatientContext { get; init; }

    /// <summary>Tenant the token was issued for, when the token names one (a request for another tenant is refused).</summary>
    public string? TokenTenant { get; init; }

    /// <summary>Token id (<c>jti</c>), for audit and revocation.</summary>
    public string? TokenId { get; init; }

    /// <summary>The login the token belongs to (the built-in server's refresh-token family, claim <c>sid</c>),
    /// so rights that outlive the token (a subscription's) can be dropped when that login is revoked.</summary>
    public string? Session { get; init; }

    /// <summary>Break-the-glass: the reason a clinician gave to override a denial (null when not invoked).</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>Network peer (IP address) as seen by the host.</summary>
    public string? RemoteAddress { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>True only when the server runs with the explicit <c>--insecure-dev</c> opt-in:
    /// nobody authenticated, everything allowed, audited as anonymous.</summary>
    public bool IsInsecureDev { get; init; }

    /// <summary>No identity at all: authorization denies everything.</summary>
    public static Caller Anonymous { get; } = new();

    /// <summary>The unauthenticated caller of <c>--insecure-dev</c> mode.</summary>
    public static Caller InsecureDev { get; } = new() { ClientId = "insecure-dev", IsInsecureDev = true };

    /// <summary>An in-process pipeline (HL7 v2 channel, importer) acting with system-level scopes.</summary>
    public static Caller System(string pipeline, params string[] scopes) =>
        new() { ClientId = pipeline, Scopes = scopes.Length == 0 ? ["system/*.*"] : [.. scopes], Roles = ["integration"] };
}
