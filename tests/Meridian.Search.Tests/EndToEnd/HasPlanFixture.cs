using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;
using Meridian.Testing;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// Patients and Observations for the two plans of <c>_has</c> (docs/adr/0011-search-sql-shapes.md):
/// per store, one instance that always drives from the sources (bound above any count) and one
/// that never does (bound 0), over the same database. Includes the cases the two shapes could
/// disagree on: deleted and superseded sources, a deleted target, a reference to a missing
/// target, several sources per target and a source pointing at two targets.
/// </summary>
public abstract class HasPlanFixture : IAsyncLifetime
{
    public const string Tenant = "t1";

    /// <summary>Drives from the sources whenever a source condition can drive.</summary>
    public IFhirStore FromSources { get; private set; } = null!;

    /// <summary>Always the per-target semi-join.</summary>
    public IFhirStore FromTargets { get; private set; } = null!;

    protected static StoreOptions Sources { get; } = new() { HasSourceDriveLimit = int.MaxValue };

    protected static StoreOptions Targets { get; } = new() { HasSourceDriveLimit = 0 };

    protected abstract Task<(IFhirStore FromSources, IFhirStore FromTargets)> OpenAsync();

    protected abstract Task CloseAsync();

    public async Task InitializeAsync()
    {
        (FromSources, FromTargets) = await OpenAsync();
        await FromSources.MigrateAsync();
        var resources = new List<string>();
        for (var i = 1; i <= 12; i++)
        {
            resources.Add($$"""{"resourceType":"Patient","id":"p{{i}}","name":[{"family":"{{(i % 2 == 0 ? "Even" : "Odd")}}"}]}""");
        }
        var observation = 0;
        string Obs(string code, string status, params string[] patients)
        {
            observation++;
            var subject = patients.Length == 1 ? $$""","subject":{"reference":"Patient/{{patients[0]}}"}""" : "";
            var performer = patients.Length > 1 ? $$""","performer":[{{string.Join(",", patients.Select(p => $$"""{"reference":"Patient/{{p}}"}"""))}}]""" : "";
            resources.Add($$"""{"resourceType":"Observation","id":"o{{observation}}","status":"{{status}}","code":{"coding":[{"system":"http://loinc.org","code":"{{code}}"}]}{{subject}}{{performer}}}""");
            return "o" + observation;
        }
        // A common code on every patient, twice on some.
        for (var i = 1; i <= 12; i++)
        {
            Obs("common", i % 3 == 0 ? "amended" : "final", "p" + i);
            if (i % 4 == 0)
            {
                Obs("common", "final", "p" + i);
            }
        }
        Obs("rare", "final", "p3");
        Obs("rare", "final", "p11");
        Obs("rare", "amended", "p7");
        Obs("rare", "final", "missing");                // no such Patient
        var deleted = Obs("rare", "final", "p5");       // deleted below
        var superseded = Obs("rare", "final", "p9");    // updated to another code below
        Obs("rare", "final", "p12");                    // its Patient is deleted below
        Obs("two", "final", "p2", "p4");                // performer points at two Patients
        await WriteAsync(resources);
        var result = await FromSources.TransactAsync(Tenant, [new DeleteOperation("Observation", deleted), new DeleteOperation("Patient", "p12")]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        await WriteAsync([$$$"""{"resourceType":"Observation","id":"{{{superseded}}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"other"}]},"subject":{"reference":"Patient/p9"}}"""]);
    }

    private async Task WriteAsync(IEnumerable<string> resources)
    {
        var ops = new List<WriteOperation>();
        foreach (var json in resources)
        {
            var resource = FhirJsonParser.R4.Parse(json).Resource!;
            ops.Add(new UpdateOperation(resource.TypeName, resource.ResourceId!, ResourceContent.From(resource)));
        }
        var result = await FromSources.TransactAsync(Tenant, ops);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in new[] { FromSources, FromTargets })
        {
            if (store is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
        await CloseAsync();
    }
}

public sealed class SqliteHasPlanFixture : HasPlanFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-hasplan-").FullName;

    protected override Task<(IFhirStore, IFhirStore)> OpenAsync()
    {
        var path = Path.Combine(_dir, "has.db");
        return Task.FromResult<(IFhirStore, IFhirStore)>((new SqliteFhirStore(path, Sources), new SqliteFhirStore(path, Targets)));
    }

    protected override Task CloseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresHasPlanFixture : HasPlanFixture
{
    private PostgresTestDatabase? _database;

    protected override async Task<(IFhirStore, IFhirStore)> OpenAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return (PostgresFhirStore.Create(_database.ConnectionString, Sources), PostgresFhirStore.Create(_database.ConnectionString, Targets));
    }

    protected override async Task CloseAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
