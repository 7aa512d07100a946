using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Authorization;

/// <summary>
/// Which scopes each role allows, who may break the glass and with what, who is the auditor.
/// Role scopes use SMART syntax; their context prefix (<c>user/</c>, <c>system/</c>) is not
/// significant — the token's scope decides the context — only type, letters and restrictions.
/// See docs/authorization.md.
/// </summary>
public sealed record AuthorizationOptions
{
    public ImmutableDictionary<string, ImmutableArray<string>> RoleScopes { get; init; } = DefaultRoleScopes;

    /// <summary>Roles allowed to override a denial by stating a reason.</summary>
    public ImmutableArray<string> BreakGlassRoles { get; init; } = ["clinician"];

    /// <summary>What a break-the-glass request is allowed instead of its own scopes (within its tenant; never AuditEvent).</summary>
    public ImmutableArray<string> BreakGlassScopes { get; init; } = ["user/*.cruds"];

    /// <summary>The only role that may read and search AuditEvent.</summary>
    public string AuditorRole { get; init; } = "auditor";

    public static ImmutableDictionary<string, ImmutableArray<string>> DefaultRoleScopes { get; } =
        new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal)
        {
            ["clinician"] = ["user/*.cruds"],
            ["nurse"] = ["user/*.rs", "user/Observation.cu", "user/MedicationAdministration.cu"],
            ["front-desk"] = ["user/Patient.crus", "user/Appointment.cruds", "user/Schedule.rs", "user/Slot.rs", "user/Practitioner.rs", "user/Organization.rs", "user/Location.rs", "user/Coverage.crus"],
            ["admin"] = ["user/*.cruds"],
            ["auditor"] = ["user/AuditEvent.rs"],
            ["integration"] = ["system/*.crus"],
            ["device"] = ["system/Observation.c", "system/Device.rs"],
        }.ToImmutableDictionary(StringComparer.Ordinal);

    public static AuthorizationOptions Default { get; } = new();

    /// <summary>Every problem with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Problems(FhirSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = new List<string>();
        foreach (var (role, scopes) in RoleScopes)
        {
            var parsed = ScopeParser.Parse(scopes, spec);
            foreach (var bad in parsed.Invalid)
            {
                problems.Add($"Role '{role}': '{bad}' is not a valid SMART resource scope.");
            }
        }
        foreach (var bad in ScopeParser.Parse(BreakGlassScopes, spec).Invalid)
        {
            problems.Add($"BreakGlassScopes: '{bad}' is not a valid SMART resource scope.");
        }
        return problems;
    }
}
