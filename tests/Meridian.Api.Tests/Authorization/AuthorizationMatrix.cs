namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// The expected outcomes of the authorization matrix, written down independently of the code
/// under test: a small table of who may do what (the documented default role configuration,
/// docs/authorization.md) and which letters each interaction needs. The matrix tests generate
/// every combination of caller × interaction × resource type × tenant from it.
/// </summary>
public static class AuthorizationMatrix
{
    /// <summary>A caller of the matrix: token scopes, roles, and what it may do per type ("*" = every type but AuditEvent).</summary>
    public sealed record MatrixCaller(string Name, string[] Scopes, string[] Roles, Dictionary<string, string> Letters);

    public sealed record MatrixInteraction(string Name, string Needs, bool IsWrite, bool PatientOnly = false);

    public static readonly string[] Types = ["Patient", "Observation", "Appointment", "Practitioner", "Device", "AuditEvent"];

    public static readonly MatrixCaller[] Callers =
    [
        new("clinician", ["user/*.cruds"], ["clinician"], new() { ["*"] = "cruds" }),
        new("nurse", ["user/*.cruds"], ["nurse"], new() { ["*"] = "rs", ["Observation"] = "crus", ["MedicationAdministration"] = "crus" }),
        new("front-desk", ["user/*.cruds"], ["front-desk"], new() { ["Patient"] = "crus", ["Appointment"] = "cruds", ["Practitioner"] = "rs" }),
        new("admin", ["user/*.cruds"], ["admin"], new() { ["*"] = "cruds" }),
        new("auditor", ["user/*.rs"], ["auditor"], new() { ["AuditEvent"] = "rs" }),
        new("integration", ["system/*.cruds"], ["integration"], new() { ["*"] = "crus" }),
        new("device", ["system/*.cruds"], ["device"], new() { ["Observation"] = "c", ["Device"] = "rs" }),
        // No roles: the token's scopes alone (v1 syntax, plus scopes that grant no data and one malformed).
        new("app-v1", ["openid fhirUser user/Patient.read user/Observation.read", "user/Appointment.write", "user/Foo.read", "bogus"], [],
            new() { ["Patient"] = "rs", ["Observation"] = "rs", ["Appointment"] = "cud" }),
        // Roles never widen a token: clinician role, but a token for reading patients only.
        new("clinician-narrow-token", ["user/Patient.rs"], ["clinician"], new() { ["Patient"] = "rs" }),
        // A role this server does not know grants nothing.
        new("unknown-role", ["user/*.cruds"], ["janitor"], []),
    ];

    public static readonly MatrixInteraction[] Interactions =
    [
        new("read", "r", false),
        new("vread", "r", false),
        new("search", "s", false),
        new("type-history", "s", false),
        new("instance-history", "s", false),
        new("create", "c", true),
        new("update", "u", true),
        new("patch", "u", true),
        new("delete", "d", true),
        new("conditional-create", "cs", true),
        new("conditional-update", "us", true),
        new("conditional-delete", "ds", true),
        new("validate", "", false), // any permission on the type
        new("everything", "r", false, PatientOnly: true),
    ];

    /// <summary>The letters <paramref name="caller"/> holds on <paramref name="type"/>.</summary>
    public static string LettersOn(MatrixCaller caller, string type)
    {
        var letters = caller.Letters.GetValueOrDefault(type, "");
        if (type != "AuditEvent")
        {
            letters += caller.Letters.GetValueOrDefault("*", "");
        }
        return letters;
    }

    /// <summary>The status the matrix expects.</summary>
    public static int Expected(MatrixCaller caller, MatrixInteraction interaction, string type, bool sameTenant)
    {
        if (!sameTenant)
        {
            return 403;
        }
        if (type == "AuditEvent" && interaction.IsWrite)
        {
            return 405;
        }
        var held = LettersOn(caller, type);
        var allowed = interaction.Needs.Length == 0 ? held.Length > 0 : interaction.Needs.All(held.Contains);
        if (!allowed)
        {
            return 403;
        }
        return interaction.Name switch
        {
            "create" or "conditional-create" => 201,
            "delete" or "conditional-delete" => 204,
            _ => 200,
        };
    }

    public static IEnumerable<object[]> Rows() =>
        from c in Callers from i in Interactions select new object[] { c.Name, i.Name };
}
