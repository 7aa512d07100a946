using System.Text;
using System.Text.Json.Nodes;
using Meridian.Storage.Sqlite;

namespace Meridian.Api.Tests.PatientRights;

/// <summary>Who may purge and export, checked in-process with explicit callers (roles and
/// patient context as the authentication layer will set them).</summary>
public sealed class PatientRightsAccessTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-rights-").FullName;
    private Meridian.Storage.IFhirStore? _store;
    private FhirApi? _api;

    private static readonly Caller s_admin = new() { ClientId = "ops", UserId = "root", Roles = ["admin"], Scopes = ["user/*.cruds"] };
    private static readonly Caller s_clinician = new() { ClientId = "ehr", UserId = "dr", Roles = ["clinician"], Scopes = ["user/*.cruds"] };

    public async Task InitializeAsync()
    {
        _store = new SqliteFhirStore(Path.Combine(_dir, "m.db"));
        await _store.MigrateAsync();
        _api = new FhirApi(_store);
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A patient's own app: patient context and patient scopes, as a SMART launch gives.</summary>
    private static Caller Patient(string id, string scope) => new() { ClientId = "patient-app", UserId = "u-" + id, FhirUser = "Patient/" + id, PatientContext = id, Scopes = [scope] };

    private async Task<string> CreatePatientAsync()
    {
        var create = await _api!.HandleAsync(new FhirRequest("POST", "Patient") { Caller = s_admin, Body = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","gender":"other"}""") });
        Assert.Equal(201, create.Status);
        return JsonNode.Parse(create.Body.Span)!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Only_admins_may_purge()
    {
        var id = await CreatePatientAsync();
        // No identity at all is refused before any operation runs (401).
        Assert.Equal(401, (await _api!.HandleAsync(new FhirRequest("POST", $"Patient/{id}/$purge") { Caller = Caller.Anonymous })).Status);
        foreach (var caller in new[] { s_clinician, Caller.System("hl7-feed"), Patient(id, "patient/*.cruds") })
        {
            var denied = await _api!.HandleAsync(new FhirRequest("POST", $"Patient/{id}/$purge") { Caller = caller });
            Assert.Equal(403, denied.Status);
            Assert.Contains(denied.Issues, i => i.Code == "forbidden");
        }
        Assert.NotNull(await _store!.ReadAsync(FhirApi.DefaultTenant, "Patient", id));
        var purged = await _api!.HandleAsync(new FhirRequest("POST", $"Patient/{id}/$purge") { Caller = s_admin });
        Assert.Equal(200, purged.Status);
        Assert.Null(await _store!.ReadAsync(FhirApi.DefaultTenant, "Patient", id));
    }

    [Fact]
    public async Task Purge_is_post_only()
    {
        var id = await CreatePatientAsync();
        var get = await _api!.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$purge") { Caller = s_admin });
        Assert.NotEqual(200, get.Status);
        Assert.NotNull(await _store!.ReadAsync(FhirApi.DefaultTenant, "Patient", id));
    }

    [Fact]
    public async Task Export_is_for_admins_and_the_patient_themselves()
    {
        var id = await CreatePatientAsync();
        var other = await CreatePatientAsync();
        Assert.Equal(200, (await _api!.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$export-record") { Caller = s_admin })).Status);
        Assert.Equal(200, (await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$export-record") { Caller = Patient(id, "patient/*.rs") })).Status);
        Assert.Equal(403, (await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$export-record") { Caller = Patient(other, "patient/*.rs") })).Status);
        Assert.Equal(403, (await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$export-record") { Caller = s_clinician })).Status);
        Assert.Equal(401, (await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}/$export-record") { Caller = Caller.Anonymous })).Status);
    }
}
