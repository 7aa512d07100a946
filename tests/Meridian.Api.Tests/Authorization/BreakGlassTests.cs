using Meridian.Api.Authorization;

namespace Meridian.Api.Tests.Authorization;

/// <summary>A clinician may override a denial by stating a reason: access is granted within the
/// tenant and flagged in the decision audit records. Nobody else can, and never for AuditEvent
/// or across tenants.</summary>
public abstract class BreakGlassTests(AuthzStoreFixture fx)
{
    private readonly string _tenant = "bg" + Guid.NewGuid().ToString("N")[..12];

    private Caller Clinician(string? reason, params string[] roles) => new()
    {
        ClientId = "ehr",
        UserId = "dr-who",
        Roles = roles.Length == 0 ? ["clinician"] : [.. roles],
        Scopes = ["patient/*.rs"],
        PatientContext = "assigned",
        TokenTenant = _tenant,
        BreakGlassReason = reason,
    };

    private async Task<string> SeedOtherPatientAsync()
    {
        var id = "other-" + Guid.NewGuid().ToString("N")[..8];
        await fx.SeedAsync(_tenant, """{"resourceType":"Patient","name":[{"family":"Emergency"}]}""", id);
        return id;
    }

    [Fact]
    public async Task A_stated_reason_opens_the_record_and_is_flagged()
    {
        var id = await SeedOtherPatientAsync();
        var denied = await fx.SendAsync(Clinician(null), _tenant, "GET", $"Patient/{id}");
        Assert.Equal(403, denied.Status);
        Assert.Equal(AuthorizationOutcome.Denied, denied.Authorization!.Outcome);
        Assert.NotNull(denied.Authorization.Reason);

        var granted = await fx.SendAsync(Clinician("unconscious patient in ER"), _tenant, "GET", $"Patient/{id}");
        Assert.Equal(200, granted.Status);
        Assert.Contains("Emergency", AuthzStoreFixture.Text(granted), StringComparison.Ordinal);
        Assert.Equal(AuthorizationOutcome.BreakGlass, granted.Authorization!.Outcome);
        Assert.Equal("unconscious patient in ER", granted.Authorization.BreakGlassReason);
    }

    [Fact]
    public async Task A_request_allowed_anyway_is_not_flagged()
    {
        await fx.SeedAsync(_tenant, """{"resourceType":"Patient"}""", "assigned");
        var own = await fx.SendAsync(Clinician("just in case"), _tenant, "GET", "Patient/assigned");
        Assert.Equal(200, own.Status);
        Assert.Equal(AuthorizationOutcome.Permitted, own.Authorization!.Outcome);
        Assert.Null(own.Authorization.BreakGlassReason);
    }

    [Fact]
    public async Task Writes_refused_by_the_second_line_are_retried_under_the_override()
    {
        var id = await SeedOtherPatientAsync();
        var writer = Clinician("correcting allergy in emergency") with { Scopes = ["patient/*.cruds"] };
        var obs = """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/ID"}}""".Replace("ID", id, StringComparison.Ordinal);
        var response = await fx.SendAsync(writer, _tenant, "POST", "Observation", obs);
        Assert.Equal(201, response.Status);
        Assert.Equal(AuthorizationOutcome.BreakGlass, response.Authorization!.Outcome);
        var refused = await fx.SendAsync(writer with { BreakGlassReason = null }, _tenant, "POST", "Observation", obs);
        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task Only_break_glass_roles_may_use_it()
    {
        var id = await SeedOtherPatientAsync();
        var nurse = await fx.SendAsync(Clinician("please", "nurse"), _tenant, "GET", $"Patient/{id}");
        Assert.Equal(403, nurse.Status);
        Assert.Equal(AuthorizationOutcome.Denied, nurse.Authorization!.Outcome);
    }

    [Fact]
    public async Task Never_for_audit_events_nor_another_tenant()
    {
        var id = await SeedOtherPatientAsync();
        var audit = await fx.SendAsync(Clinician("curious"), _tenant, "GET", "AuditEvent");
        Assert.Equal(403, audit.Status);
        var otherTenant = await fx.SendAsync(Clinician("emergency") with { TokenTenant = "elsewhere" }, _tenant, "GET", $"Patient/{id}");
        Assert.Equal(403, otherTenant.Status);
        Assert.DoesNotContain("Emergency", AuthzStoreFixture.Text(otherTenant), StringComparison.Ordinal);
    }
}

public sealed class SqliteBreakGlassTests(SqliteAuthzFixture fx) : BreakGlassTests(fx), IClassFixture<SqliteAuthzFixture>;

public sealed class PostgresBreakGlassTests(PostgresAuthzFixture fx) : BreakGlassTests(fx), IClassFixture<PostgresAuthzFixture>;
