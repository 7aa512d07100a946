using Meridian.Cli.Tests.Import.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Cli.Tests.Import;

/// <summary><c>meridian import</c> from the command line: exit codes, the report, a running server over HTTP.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.Run(args);

    [Fact]
    public async Task Import_into_a_sqlite_directory_exits_zero_then_one_when_a_resource_fails()
    {
        var good = await Inputs.WriteAsync(_dir.File("good.ndjson"), Inputs.PatientsNdjson(3));
        var (exit, output, _) = await Run("import", good, "--data", _dir.File("db"), "--report", _dir.File("report.ndjson"));
        Assert.Equal(0, exit);
        Assert.Contains("3 resources stored, 0 failed", output, StringComparison.Ordinal);
        Assert.True(File.Exists(_dir.File(".meridian-import.json")));

        var bad = await Inputs.WriteAsync(_dir.File("bad.ndjson"), """{"resourceType":"Patient","birthDate":"yesterday"}""");
        (exit, output, _) = await Run("import", good, bad, "--data", _dir.File("db"), "--report", _dir.File("report.ndjson"));
        Assert.Equal(1, exit);
        Assert.Contains("(1 done earlier): 0 resources stored, 1 failed", output, StringComparison.Ordinal);
        Assert.Contains("Patient.birthDate", await File.ReadAllTextAsync(_dir.File("report.ndjson")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_exits_two()
    {
        var (exit, _, error) = await Run("import", _dir.File("nothing-here.ndjson"), "--store", "oracle");
        Assert.Equal(2, exit);
        Assert.Contains("no such file", error, StringComparison.Ordinal);
        Assert.Contains("--store must be sqlite or postgres", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_posts_to_a_running_server_and_resumes_with_its_own_checkpoint()
    {
        await using var app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Data"] = _dir.File("server-data"),
        }, contentRoot: _dir.Path);
        await app.StartAsync();
        var baseUrl = MeridianServer.Addresses(app).First() + "/fhir";
        var bundle = await Inputs.WriteAsync(_dir.File("b.json.gz"), Inputs.TransactionBundle("cccccccc-0000-0000-0000-000000000001", "cccccccc-0000-0000-0000-000000000002"), gzip: true);
        var lines = await Inputs.WriteAsync(_dir.File("p.ndjson"), Inputs.PatientsNdjson(4));

        var (exit, output, error) = await Run("import", bundle, lines, "--server", baseUrl, "--report", _dir.File("r.ndjson"), "--chunk", "3");
        Assert.True(exit == 0, output + error);
        Assert.Contains("6 resources stored, 0 failed", output, StringComparison.Ordinal);

        using var http = new HttpClient();
        var observation = await http.GetStringAsync(baseUrl + "/Observation/cccccccc-0000-0000-0000-000000000002");
        Assert.Contains("\"reference\":\"Patient/cccccccc-0000-0000-0000-000000000001\"", observation.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var patients = await http.GetStringAsync(baseUrl + "/Patient?_summary=count");
        Assert.Contains("\"total\":5", patients.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

        (exit, output, _) = await Run("import", bundle, lines, "--server", baseUrl, "--report", _dir.File("r.ndjson"));
        Assert.Equal(0, exit);
        Assert.Contains("(2 done earlier): 0 resources stored", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_stops_the_import_with_exit_three()
    {
        var lines = await Inputs.WriteAsync(_dir.File("p.ndjson"), Inputs.PatientsNdjson(1));
        var (exit, _, error) = await Run("import", lines, "--server", "http://127.0.0.1:1/fhir", "--report", _dir.File("r.ndjson"));
        Assert.Equal(3, exit);
        Assert.Contains("unreachable", error, StringComparison.Ordinal);
    }
}
