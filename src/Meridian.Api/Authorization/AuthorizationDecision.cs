using System.Collections.Immutable;

namespace Meridian.Api.Authorization;

/// <summary>How a request was authorized, as audit records it.</summary>
public enum AuthorizationOutcome
{
    /// <summary>The caller's scopes and roles allowed it (parts of a batch may still have been refused).</summary>
    Permitted,
    /// <summary>Refused: 401 (no identity), 403 (scopes, roles, tenant) or 405 (AuditEvent writes).</summary>
    Denied,
    /// <summary>Allowed only because a clinician broke the glass; audit must flag it.</summary>
    BreakGlass,
    /// <summary>Allowed because the server runs with <c>--insecure-dev</c>.</summary>
    InsecureDev,
    /// <summary>Needs no authorization (the CapabilityStatement).</summary>
    Open,
}

/// <summary>
/// The authorization facts of one request, on every <see cref="FhirResponse"/>
/// (<see cref="FhirResponse.Authorization"/>) for the audit layer to record.
/// </summary>
public sealed record AuthorizationDecision(AuthorizationOutcome Outcome)
{
    /// <summary>Why access was refused (the first refusal of the request), or null.</summary>
    public string? Reason { get; init; }

    /// <summary>The reason the caller gave when breaking the glass (set whenever it was used).</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>The patient whose compartment bounded the request (patient-context scopes).</summary>
    public string? PatientContext { get; init; }

    /// <summary>Parts of the request refused while the rest went on (batch entries).</summary>
    public int DeniedParts { get; init; }

    /// <summary>Scopes of the caller that were malformed and therefore ignored.</summary>
    public ImmutableArray<string> InvalidScopes { get; init; } = [];
}
