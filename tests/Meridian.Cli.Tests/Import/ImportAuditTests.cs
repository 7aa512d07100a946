using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Cli.Tests.Import.Support;
using Meridian.Server;
using Meridian.Server.Protection;
using Meridian.Storage.Protection;

namespace Meridian.Cli.Tests.Import;

/// <summary>
/// <c>meridian import</c> straight into a store is audited like a POST to the server: each
/// committed chunk has one AuditEvent, in the same transaction, chained, naming every stored
/// version and the operator; <c>meridian audit verify</c> passes with a count equal to the
/// number of committed units. Both stores, through the real command.
/// </summary>
public sealed class ImportAuditTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Sqlite_import_commits_one_chained_audit_event_per_chunk()
    {
        var data = _dir.File("db");
        await ImportAndCheckAsync(["--data", data], new MeridianServerOptions { Store = "sqlite", Data = data, InsecureDev = true });
    }

    [Fact]
    public async Task Postgres_import_commits_one_chained_audit_event_per_chunk()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var keyFile = _dir.File("master.key");
        MasterKey.Generate().WriteNewFile(keyFile);
        var options = new MeridianServerOptions { Store = "postgres", Connection = database.ConnectionString, Encryption = { MasterKeyFile = keyFile }, InsecureDev = true };
        await ImportAndCheckAsync(["--store", "postgres", "--connection", database.ConnectionString, "--master-key-file", keyFile], options);
    }

    private async Task ImportAndCheckAsync(string[] store, MeridianServerOptions options)
    {
        // 7 patients in chunks of 3: three transactions; a transaction Bundle: one more.
        var lines = await Inputs.WriteAsync(_dir.File("p.ndjson"), Inputs.PatientsNdjson(7));
        var bundle = await Inputs.WriteAsync(_dir.File("b.json"), Inputs.TransactionBundle("dddddddd-0000-0000-0000-000000000001", "dddddddd-0000-0000-0000-000000000002"));
        var (exit, output, error) = await Cli.Run(["import", lines, bundle, .. store, "--chunk", "3", "--report", _dir.File("r.ndjson"), "--state", _dir.Path]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("9 resources stored, 0 failed", output, StringComparison.Ordinal);

        (exit, output, error) = await Cli.Run(["audit", "verify", .. store]);
        Assert.True(exit == 0, output + error);
        Assert.Contains($"tenant {FhirApi.DefaultTenant}: intact, 4 records", output, StringComparison.Ordinal);

        // What the records say: a transaction by the importer for the OS user, every version named once.
        var opened = await MeridianStoreOpener.OpenAsync(options); // InsecureDev: read-only, like audit verify
        await using var owned = ((IAsyncDisposable)opened.Store).ConfigureAwait(false);
        var auditor = new Caller { ClientId = "audit-tests", UserId = "auditor", Roles = ["auditor"], Scopes = ["user/AuditEvent.rs"] };
        var response = await new FhirApi(opened.Store).HandleAsync(new FhirRequest("GET", "AuditEvent") { Caller = auditor, Query = [new("_count", "50")] });
        Assert.True(response.Status == 200, System.Text.Encoding.UTF8.GetString(response.Body.Span));
        var events = JsonNode.Parse(response.Body.Span)!["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal("transaction", e["subtype"]![0]!["code"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("0", e["outcome"]!.GetValue<string>()));
        var agents = events.SelectMany(e => e["agent"]!.AsArray()).ToList();
        Assert.Contains(agents, a => a!["altId"]?.GetValue<string>() == "os:" + Environment.UserName);
        Assert.Contains(agents, a => a!["who"]?["display"]?.GetValue<string>() == "meridian-import");
        var named = events.SelectMany(e => e["entity"]!.AsArray()).Select(x => x!["what"]?["reference"]?.GetValue<string>()).OfType<string>()
            .Where(r => r.Contains("/_history/", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, named.Count);
        Assert.Equal(9, named.Distinct(StringComparer.Ordinal).Count());
        for (var i = 1; i <= 7; i++)
        {
            Assert.Contains($"Patient/p{i}/_history/1", named);
        }
        Assert.Single(named, r => r.StartsWith("Observation/", StringComparison.Ordinal));
    }
}
