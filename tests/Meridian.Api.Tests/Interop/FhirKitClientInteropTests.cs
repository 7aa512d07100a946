using System.Text.Json.Nodes;
using Meridian.Api.Tests.Support;

namespace Meridian.Api.Tests.Interop;

/// <summary>
/// Drives a real Meridian server with fhir-kit-client (npm, Vermonster), a FHIR client nobody
/// on Meridian wrote, through <c>tests/fhir-client-interop/client.js</c>: our own HTTP tests can
/// share our own misreadings of the spec; a third-party client cannot. The script reports each
/// step as JSON; this class checks the steps and the values the client saw, on every store.
/// </summary>
public abstract class FhirKitClientInteropTests(ServerFixture fixture)
{
    /// <summary>Every step client.js runs, in order; a renamed or dropped step fails the test.</summary>
    private static readonly string[] s_steps =
    [
        "metadata", "create", "read", "update", "update-stale-if-match", "vread", "search", "search-post",
        "create-observations", "search-include", "search-paging", "history", "transaction",
        "conditional-create", "conditional-update", "everything", "validate", "patch", "delete", "read-deleted",
    ];

    [Fact]
    public async Task FhirKitClientRunsTheWholeRestScenario()
    {
        // A fresh tenant: the client's base URL has a path prefix, as real deployments do.
        var baseUrl = fixture.NewTenantBase();
        var run = await InteropScript.RunAsync(baseUrl);
        var report = ParseReport(run);

        var list = report["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(s_steps, list.Select(s => Text(s, "name")));
        var steps = list.ToDictionary(s => Text(s, "name"));
        var failed = steps.Values.Where(s => s["ok"]?.GetValue<bool>() != true).Select(s => s.ToJsonString()).ToList();
        Assert.True(failed.Count == 0, "fhir-kit-client steps failed:\n" + string.Join("\n", failed) + "\nstderr:\n" + run.StdErr);
        Assert.True(run.ExitCode == 0, run.ToString());

        var metadata = Details(steps["metadata"]);
        Assert.Equal("4.0.1", Text(metadata, "fhirVersion"));
        Assert.Equal("application/fhir+json", Text(metadata, "contentType").Split(';')[0]);
        var interactions = Strings(metadata, "patientInteractions");
        foreach (var interaction in (string[])["create", "read", "vread", "update", "patch", "delete", "history-instance", "search-type"])
        {
            Assert.Contains(interaction, interactions);
        }
        Assert.Contains("family", Strings(metadata, "patientSearchParams"));

        // create: 201 with Location (absolute, versioned) and ETag as the client sees them.
        var created = Details(steps["create"]);
        var id = Text(created, "id");
        var patient = "Patient/" + id;
        Assert.Equal(201, Status(steps["create"]));
        Assert.Equal("1", Text(created, "versionId"));
        Assert.Equal($"{baseUrl}/{patient}/_history/1", Text(created, "location"));
        Assert.Equal("W/\"1\"", Text(created, "etag"));
        Assert.False(string.IsNullOrEmpty(Text(created, "lastModified")));

        var read = Details(steps["read"]);
        Assert.Equal(id, Text(read, "id"));
        Assert.Equal("W/\"1\"", Text(read, "etag"));

        var updated = Details(steps["update"]);
        Assert.Equal("2", Text(updated, "versionId"));
        Assert.Equal("W/\"2\"", Text(updated, "etag"));
        Assert.Equal("1971-02-03", Text(updated, "birthDate"));
        Assert.Equal(412, Status(steps["update-stale-if-match"]));

        var vread = Details(steps["vread"]);
        Assert.Equal("1", Text(vread, "versionId"));
        Assert.Equal("W/\"1\"", Text(vread, "etag"));
        Assert.Equal("1970-01-01", Text(vread, "birthDate"));

        var search = Details(steps["search"]);
        Assert.Equal(1, search["total"]!.GetValue<int>());
        Assert.Equal([patient], Strings(search, "entries"));
        Assert.Equal(["match"], Strings(search, "modes"));
        Assert.Equal([$"{baseUrl}/{patient}"], Strings(search, "fullUrls"));
        Assert.Equal([patient], Strings(Details(steps["search-post"]), "entries"));

        var observations = Strings(Details(steps["create-observations"]), "ids").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, observations.Length);
        var include = Details(steps["search-include"]);
        Assert.Equal(2, include["total"]!.GetValue<int>());
        Assert.Equal(observations, Strings(include, "matches"));
        Assert.Equal([patient], Strings(include, "includes"));

        // Paging through the client's nextPage(): one per page, together both observations.
        var paging = Details(steps["search-paging"]);
        var pages = paging["pages"]!.AsArray().Select(p => p!.AsArray().Select(e => e!.GetValue<string>()).ToArray()).ToArray();
        Assert.Equal([1, 1], pages.Select(p => p.Length));
        Assert.Equal(observations, pages.SelectMany(p => p).Order(StringComparer.Ordinal));
        Assert.False(paging["secondHasNext"]!.GetValue<bool>());

        var history = Details(steps["history"]);
        Assert.Equal(["2", "1"], Strings(history, "versionIds"));
        Assert.Equal(["PUT", "POST"], Strings(history, "methods"));

        // transaction: the urn:uuid reference was rewritten to the Patient the server created.
        var transaction = Details(steps["transaction"]);
        Assert.Equal("transaction-response", Text(transaction, "type"));
        Assert.All(Strings(transaction, "entryStatuses"), s => Assert.StartsWith("201", s, StringComparison.Ordinal));
        var txPatient = Text(transaction, "patientRef");
        Assert.StartsWith(baseUrl + "/Patient/", txPatient, StringComparison.Ordinal);
        Assert.Equal(txPatient[(baseUrl.Length + 1)..], Text(transaction, "observationSubject"));

        var conditional = Details(steps["conditional-create"]);
        Assert.Equal(200, conditional["matchedStatus"]!.GetValue<int>());
        Assert.Equal(id, Text(conditional, "matchedId"));
        Assert.Equal(1, conditional["identifierTotal"]!.GetValue<int>());
        Assert.Equal(201, conditional["createdStatus"]!.GetValue<int>());
        Assert.StartsWith(baseUrl + "/Patient/", Text(conditional, "createdLocation"), StringComparison.Ordinal);

        var conditionalUpdate = Details(steps["conditional-update"]);
        Assert.Equal(Text(conditionalUpdate, "expectedId"), Text(conditionalUpdate, "id"));
        Assert.Equal("2", Text(conditionalUpdate, "versionId"));
        Assert.True(conditionalUpdate["active"]!.GetValue<bool>());

        // The patient's compartment also holds the AuditEvents about it (every interaction is audited).
        Assert.Equal([.. observations, patient], Strings(Details(steps["everything"]), "entries").Where(e => !e.StartsWith("AuditEvent/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        var validate = Details(steps["validate"]);
        Assert.Equal("OperationOutcome", Text(validate, "resourceType"));
        Assert.Contains("error", Strings(validate, "severities"));
        Assert.Contains("Patient.gender", Strings(validate, "expressions"));

        var patched = Details(steps["patch"]);
        Assert.Equal("3", Text(patched, "versionId"));
        Assert.Equal("W/\"3\"", Text(patched, "etag"));
        Assert.Equal("other", Text(patched, "gender"));
        Assert.Equal("555-0100", Text(patched, "telecom"));
        Assert.Equal("1971-02-03", Text(patched, "birthDate"));

        Assert.Equal(204, Status(steps["delete"]));
        Assert.Equal(410, Status(steps["read-deleted"]));
        Assert.Equal("deleted", Text(Details(steps["read-deleted"]), "code"));
    }

    private static JsonObject ParseReport(ScriptRun run)
    {
        JsonNode? report = null;
        try
        {
            report = JsonNode.Parse(run.StdOut);
        }
        catch (System.Text.Json.JsonException e)
        {
            Assert.Fail($"client.js did not print a JSON report ({e.Message}):\n{run}");
        }
        if (report is JsonObject obj && obj["steps"] is JsonArray)
        {
            return obj;
        }
        throw new Xunit.Sdk.XunitException("client.js report has no steps:\n" + run);
    }

    private static JsonObject Details(JsonObject step) => step["details"]!.AsObject();

    private static int Status(JsonObject step) => step["status"]!.GetValue<int>();

    private static string Text(JsonObject node, string name) =>
        node[name]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"'{name}' missing in {node.ToJsonString()}");

    private static string[] Strings(JsonObject node, string name) =>
        [.. node[name]!.AsArray().Select(n => n!.GetValue<string>())];
}

public sealed class SqliteFhirKitClientInteropTests(SqliteServerFixture fixture)
    : FhirKitClientInteropTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresFhirKitClientInteropTests(PostgresServerFixture fixture)
    : FhirKitClientInteropTests(fixture), IClassFixture<PostgresServerFixture>;
