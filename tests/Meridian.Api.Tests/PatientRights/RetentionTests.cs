using System.Collections.Concurrent;
using Meridian.Api.Tests.Support;
using Meridian.Fhir.Serialization;
using Meridian.Server;
using Meridian.Server.Retention;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Meridian.Api.Tests.PatientRights;

/// <summary>The retention runner on both stores with a pinned clock, and the configured
/// background service end to end over HTTP.</summary>
public abstract class RetentionTests(TestStore kind) : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly PinnedClock _clock = new(s_start);
    private string? _dir;
    private PostgresTestDatabase? _database;
    private IFhirStore? _store;

    private IFhirStore Store => _store!;

    public async Task InitializeAsync()
    {
        var options = StoreOptions.Default with { Clock = _clock };
        if (kind == TestStore.Sqlite)
        {
            _dir = Directory.CreateTempSubdirectory("meridian-retention-").FullName;
            _store = new SqliteFhirStore(Path.Combine(_dir, "m.db"), options);
        }
        else
        {
            _database = await PostgresTestDatabase.CreateAsync();
            _store = PostgresFhirStore.Create(_database.ConnectionString, options);
        }
        await _store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        if (_dir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_dir, recursive: true);
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private static ResourceContent Content(string json) => ResourceContent.From(FhirJsonParser.R4.Parse(System.Text.Encoding.UTF8.GetBytes(json)).Resource!);

    private static ResourceContent Observation(string code) =>
        Content($$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]}}""");

    private static readonly ResourceContent s_patient = Content("""{"resourceType":"Patient","gender":"other"}""");

    private static readonly ResourceContent s_audit = Content("""{"resourceType":"AuditEvent","type":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"110110"},"recorded":"2020-01-01T00:00:00Z","agent":[{"requestor":true,"who":{"display":"x"}}],"source":{"observer":{"display":"meridian"}}}""");

    private async Task WriteAsync(string tenant, params WriteOperation[] ops) =>
        Assert.True((await Store.TransactAsync(tenant, ops)).Succeeded);

    [Fact]
    public async Task A_run_removes_only_expired_resources_of_types_with_a_period_in_every_tenant_in_batches()
    {
        foreach (var tenant in new[] { "north", "south" })
        {
            await WriteAsync(tenant, [.. Enumerable.Range(0, 5).Select(i => new UpdateOperation("Observation", "old-" + i, Observation("1111-1")))]);
            await WriteAsync(tenant, new UpdateOperation("Observation", "old-0", Observation("2222-2")), new UpdateOperation("Patient", "p-old", s_patient), new UpdateOperation("AuditEvent", "a-old", s_audit));
        }
        _clock.Advance(TimeSpan.FromDays(100));
        await WriteAsync("north", new UpdateOperation("Observation", "fresh", Observation("1111-1")));
        await WriteAsync("north", new UpdateOperation("Observation", "old-4", Observation("3333-3"))); // touched: no longer expired

        var observer = new RecordingObserver();
        var runner = new RetentionRunner((IFhirStoreMaintenance)Store, new RetentionPolicy(new Dictionary<string, TimeSpan> { ["Observation"] = TimeSpan.FromDays(50) }, BatchSize: 2),
            _clock, [observer], NullLogger<RetentionRunner>.Instance);
        var run = await runner.RunOnceAsync();

        Assert.Null(run.Error);
        Assert.Equal(9, run.Resources); // north: old-0..3; south: old-0..4
        Assert.All(run.Batches, b => Assert.InRange(b.Resources.Length, 1, 2));
        Assert.Equal(run.Batches.Length, observer.Batches.Count);
        Assert.Same(run, Assert.Single(observer.Runs));
        Assert.Equal(11, run.Batches.Sum(b => b.Versions)); // old-0 has two versions in each tenant
        foreach (var tenant in new[] { "north", "south" })
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Null(await Store.ReadAsync(tenant, "Observation", "old-" + i));
            }
            Assert.NotNull(await Store.ReadAsync(tenant, "Patient", "p-old"));
            Assert.NotNull(await Store.ReadAsync(tenant, "AuditEvent", "a-old"));
        }
        Assert.NotNull(await Store.ReadAsync("north", "Observation", "old-4"));
        Assert.NotNull(await Store.ReadAsync("north", "Observation", "fresh"));
        Assert.Null(await Store.ReadAsync("south", "Observation", "old-4"));

        var again = await runner.RunOnceAsync();
        Assert.Empty(again.Batches);
    }

    [Fact]
    public async Task The_configured_service_purges_expired_observations_while_the_server_runs()
    {
        await using var server = await ConfiguredServer.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Retention:Periods:Observation"] = "1s",
            ["Meridian:Retention:Interval"] = "200ms",
        });
        var api = server.NewTenant();
        var patient = (await api.CreateAsync("""{"resourceType":"Patient","gender":"other"}""")).Id;
        var observation = (await api.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""")).Id;
        var gone = false;
        for (var attempt = 0; attempt < 150 && !gone; attempt++)
        {
            await Task.Delay(200);
            gone = (await api.GetAsync($"Observation/{observation}")).Code == 404;
        }
        Assert.True(gone);
        Assert.Equal(200, (await api.GetAsync($"Patient/{patient}")).Code);

        // The purge is on the audit trail: an AuditEvent of the retention run names the resource.
        var audited = false;
        for (var attempt = 0; attempt < 50 && !audited; attempt++)
        {
            var audits = await api.GetAsync("AuditEvent?_count=200");
            audited = audits.Text.Contains("retention-purge", StringComparison.Ordinal) && audits.Text.Contains($"Observation/{observation}", StringComparison.Ordinal);
            if (!audited)
            {
                await Task.Delay(100);
            }
        }
        Assert.True(audited);
    }

    private sealed class RecordingObserver : IRetentionObserver
    {
        public ConcurrentQueue<RetentionBatch> Batches { get; } = new();
        public ConcurrentQueue<RetentionRun> Runs { get; } = new();

        public ValueTask OnBatchPurgedAsync(RetentionBatch batch, CancellationToken cancellationToken)
        {
            Batches.Enqueue(batch);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnRunCompletedAsync(RetentionRun run, CancellationToken cancellationToken)
        {
            Runs.Enqueue(run);
            return ValueTask.CompletedTask;
        }
    }
}

public sealed class SqliteRetentionTests() : RetentionTests(TestStore.Sqlite);

public sealed class PostgresRetentionTests() : RetentionTests(TestStore.Postgres);

public sealed class RetentionSettingsTests
{
    [Theory]
    [InlineData("Retention:Periods:AuditEvent", "30d", "AllowAuditEvents")]
    [InlineData("Retention:Periods:Observaton", "30d", "no FHIR R4 resource type")]
    [InlineData("Retention:Periods:Observation", "forever", "not a duration")]
    [InlineData("Retention:BatchSize", "0", "BatchSize")]
    public async Task Invalid_retention_settings_stop_the_server(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Meridian:Port"] = "0", ["Meridian:" + key] = value };
        if (key == "Retention:BatchSize")
        {
            settings["Meridian:Retention:Periods:Observation"] = "30d";
        }
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AuditEvent_retention_needs_the_explicit_second_key_and_durations_parse()
    {
        var settings = new RetentionSettings { Periods = { ["AuditEvent"] = "3650d" }, AllowAuditEvents = true };
        Assert.Empty(settings.Problems());
        Assert.Equal(TimeSpan.FromDays(3650), settings.ToPolicy().Periods["AuditEvent"]);
        Assert.NotEmpty(new RetentionSettings { Periods = { ["AUDITEVENT"] = "3650d" } }.Problems());
    }

    [Fact]
    public void Type_names_from_environment_variables_match_without_case()
    {
        var settings = new RetentionSettings { Periods = { ["OBSERVATION"] = "12h", ["medicationrequest"] = "1d" } };
        Assert.Empty(settings.Problems());
        var periods = settings.ToPolicy().Periods;
        Assert.Equal(TimeSpan.FromHours(12), periods["Observation"]);
        Assert.Equal(TimeSpan.FromDays(1), periods["MedicationRequest"]);
    }
}
