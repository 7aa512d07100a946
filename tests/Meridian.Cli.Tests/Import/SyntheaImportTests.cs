using System.Diagnostics;
using System.Text.Json;
using Meridian.Api;
using Meridian.Cli.Import;
using Meridian.Cli.Tests.Import.Support;
using Xunit.Abstractions;

namespace Meridian.Cli.Tests.Import;

/// <summary>
/// All 100 Synthea patient bundles (gzipped transaction Bundles, urn:uuid references) through
/// the import path into a real store; counts and searches are checked against answers computed
/// from the files independently (<see cref="SyntheaFacts"/>). One class per store: SQLite, and
/// PostgreSQL on MERIDIAN_TEST_PG (fails when unset, never skips).
/// </summary>
public abstract class SyntheaImportTests(ITestOutputHelper log) : IDisposable
{
    private static readonly Lazy<SyntheaFacts> s_facts = new(() => SyntheaFacts.Compute(SharedData.PathOf("synthea", "bundles")));
    private readonly TempDir _dir = new();

    protected abstract Task<ImportStore> OpenAsync();

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task All_100_synthea_bundles_import_with_the_counts_and_search_answers_computed_from_the_files()
    {
        var facts = s_facts.Value;
        await using var store = await OpenAsync();
        var (files, _) = ImportSources.Discover([SharedData.PathOf("synthea", "bundles")]);
        Assert.Equal(100, files.Count);

        var watch = Stopwatch.StartNew();
        // Four files at once: also proves that bundles racing to create the same Organization or
        // Practitioner (Synthea repeats them in many bundles) store it once and lose nothing.
        var options = new ImportOptions(_dir.File(ImportCheckpoint.FileName), _dir.File("errors.ndjson")) { Parallelism = 4 };
        var summary = await new ImportRunner(store.Target, options).RunAsync(files);
        log.WriteLine($"{GetType().Name}: {summary.Succeeded} entries from 100 bundles, 4 files at once, in {watch.Elapsed.TotalSeconds:0.0} s ({summary.Succeeded / watch.Elapsed.TotalSeconds:0} entries/s)");
        Assert.True(summary.Failed == 0, await File.ReadAllTextAsync(_dir.File("errors.ndjson")));
        Assert.Equal(facts.Entries, summary.Succeeded);

        foreach (var (type, count) in facts.CountsByType)
        {
            Assert.True(count == await store.CountAsync(type), $"{type}: expected {count}");
        }
        Assert.Equal(facts.FamilyMatches, await store.CountAsync("Patient", ("family", facts.Family)));
        Assert.Equal(facts.ObservationMatches, await store.CountAsync("Observation", ("patient", "Patient/" + facts.PatientId), ("code", facts.ObservationCode)));
        Assert.Equal(facts.EncountersFrom, await store.CountAsync("Encounter", ("date", "ge" + facts.EncounterDate)));

        // urn:uuid references were rewritten to the stored ids
        var observation = await store.Api.HandleAsync(new FhirRequest("GET", "Observation/" + facts.ObservationId) { Caller = Caller.System("import-tests") });
        Assert.Equal(200, observation.Status);
        using var json = JsonDocument.Parse(observation.Body);
        Assert.Equal("Patient/" + facts.PatientId, json.RootElement.GetProperty("subject").GetProperty("reference").GetString());

        // a second run skips every file; nothing is stored twice
        var again = await new ImportRunner(store.Target, options).RunAsync(files);
        Assert.Equal((100, 0L), (again.FilesSkipped, again.Succeeded));
        Assert.Equal(facts.CountsByType["Observation"], await store.CountAsync("Observation"));
    }
}

public sealed class SqliteSyntheaImportTests(ITestOutputHelper log) : SyntheaImportTests(log)
{
    protected override Task<ImportStore> OpenAsync() => ImportStore.SqliteAsync();
}

public sealed class PostgresSyntheaImportTests(ITestOutputHelper log) : SyntheaImportTests(log)
{
    protected override Task<ImportStore> OpenAsync() => ImportStore.PostgresAsync();
}
