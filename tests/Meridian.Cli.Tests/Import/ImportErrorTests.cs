using System.Text.Json;
using Meridian.Cli.Import;
using Meridian.Cli.Tests.Import.Support;

namespace Meridian.Cli.Tests.Import;

/// <summary>Bad resources are reported one by one (file, line or entry, the server's OperationOutcome); good ones are stored.</summary>
public sealed class ImportErrorTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private ImportStore _store = null!;

    public async Task InitializeAsync() => _store = await ImportStore.SqliteAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose(); // after DisposeAsync: the store's files are closed

    private ImportOptions Options => new(_dir.File(ImportCheckpoint.FileName), _dir.File("errors.ndjson")) { ChunkSize = 3 };

    private List<JsonElement> Report() =>
        [.. File.ReadAllLines(_dir.File("errors.ndjson")).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public async Task An_invalid_resource_in_a_chunk_is_reported_with_its_outcome_and_the_rest_of_the_chunk_is_stored()
    {
        var lines = new[]
        {
            Inputs.Patient(1), Inputs.Patient(2),
            """{"resourceType":"Patient","id":"bad","gender":"robot"}""",
            Inputs.Patient(4), "{not json", Inputs.Patient(6), Inputs.Patient(7),
        };
        var path = await Inputs.WriteAsync(_dir.File("p.ndjson"), string.Join('\n', lines));
        var summary = await new ImportRunner(_store.Target, Options).RunAsync(ImportSources.Discover([path]).Files);

        Assert.Equal((5L, 2L), (summary.Succeeded, summary.Failed));
        Assert.True(summary.AnyFailed);
        Assert.Equal(5, await _store.CountAsync("Patient"));
        var report = Report();
        Assert.Equal(2, report.Count);
        var invalid = report.Single(r => r.GetProperty("line").GetInt32() == 3);
        Assert.Equal(422, invalid.GetProperty("status").GetInt32());
        Assert.Equal(path, invalid.GetProperty("file").GetString());
        Assert.Equal("bad", invalid.GetProperty("id").GetString());
        Assert.Contains("Patient.gender", invalid.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Equal("OperationOutcome", invalid.GetProperty("outcome").GetProperty("resourceType").GetString());
        var malformed = report.Single(r => r.GetProperty("line").GetInt32() == 5);
        Assert.Equal(0, malformed.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task An_invalid_entry_fails_its_whole_transaction_bundle_and_names_the_entry()
    {
        var good = await Inputs.WriteAsync(_dir.File("a.json"), Inputs.TransactionBundle("aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"));
        var bad = await Inputs.WriteAsync(_dir.File("b.json"), Inputs.TransactionBundle("bbbbbbbb-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002", gender: "robot"));
        var summary = await new ImportRunner(_store.Target, Options).RunAsync(ImportSources.Discover([good, bad]).Files);

        Assert.Equal((2L, 2L), (summary.Succeeded, summary.Failed));
        Assert.Equal(1, await _store.CountAsync("Patient"));
        Assert.Equal(1, await _store.CountAsync("Observation"));
        var report = Report();
        Assert.All(report, r => Assert.Equal(bad, r.GetProperty("file").GetString()));
        var culprit = report.Single(r => r.GetProperty("entry").GetInt32() == 0);
        Assert.Equal(422, culprit.GetProperty("status").GetInt32());
        Assert.Contains("gender", culprit.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.True(culprit.TryGetProperty("outcome", out _));
        var rolledBack = report.Single(r => r.GetProperty("entry").GetInt32() == 1);
        Assert.StartsWith("Not stored: the transaction was rolled back", rolledBack.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rerun_keeps_earlier_failures_in_the_report_and_the_summary()
    {
        var path = await Inputs.WriteAsync(_dir.File("p.ndjson"), Inputs.Patient(1) + "\n{oops\n");
        var first = await new ImportRunner(_store.Target, Options).RunAsync(ImportSources.Discover([path]).Files);
        Assert.Equal(1, first.Failed);
        var second = await new ImportRunner(_store.Target, Options).RunAsync(ImportSources.Discover([path]).Files);
        Assert.Equal((0L, 1L, true), (second.Failed, second.EarlierFailures, second.AnyFailed));
        Assert.Single(Report());
    }
}
