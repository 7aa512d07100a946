using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Fhir.Mapping;
using Meridian.Hl7.Fhir.Processing;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// The processor lands Bundles through the interaction layer on a real store: the same message
/// twice (a re-send, a replay) leaves exactly the same resources, a second message about the
/// same patient updates that patient, and an unmappable message fails with its reason.
/// </summary>
public abstract class StoreTests : IAsyncLifetime
{
    private static readonly Caller s_reader = Caller.System("reader", "system/*.rs");

    protected IFhirStore? Store { get; set; }

    private FhirApi Api => new(Store!);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    private static StoredHl7Message Stored(string relative, long id = 1, string? mappingSet = null)
    {
        var raw = Corpus.Read(relative);
        return new StoredHl7Message(id, FhirApi.DefaultTenant, "lab-1", "x", "ADT", "2.5.1", null, mappingSet, "hl7-lab-1", "127.0.0.1", DateTimeOffset.UtcNow, "received", 0, null, raw);
    }

    private async Task<int> CountAsync(string type)
    {
        var response = await Api.HandleAsync(new FhirRequest("GET", type) { Caller = s_reader, Query = [new("_count", "1000")] });
        Assert.True(response.IsSuccess, Encoding.UTF8.GetString(response.Body.Span));
        return JsonNode.Parse(response.Body.Span)!["entry"]?.AsArray().Count ?? 0;
    }

    private async Task<Dictionary<string, int>> CountsAsync(params string[] types)
    {
        var counts = new Dictionary<string, int>();
        foreach (var type in types)
        {
            counts[type] = await CountAsync(type);
        }
        return counts;
    }

    private static readonly string[] s_types = ["Patient", "Encounter", "RelatedPerson", "Observation", "AllergyIntolerance", "Coverage", "Practitioner", "Location", "Organization", "Provenance"];

    [Fact]
    public async Task The_same_message_twice_leaves_the_same_resources()
    {
        var processor = new FhirMappingProcessor(Api, MappingSetCatalog.BuiltInOnly);
        var first = await processor.ProcessAsync(Stored("v2-to-fhir/messages/ADT_A01.hl7"), CancellationToken.None);
        Assert.True(first.Succeeded, first.Reason);
        var after1 = await CountsAsync(s_types);
        Assert.Equal(1, after1["Patient"]);
        Assert.Equal(1, after1["Encounter"]);
        Assert.Equal(1, after1["Provenance"]); // one per message, targeting every resource it landed

        var second = await processor.ProcessAsync(Stored("v2-to-fhir/messages/ADT_A01.hl7", id: 2), CancellationToken.None);
        Assert.True(second.Succeeded, second.Reason);
        Assert.Equal(after1, await CountsAsync(s_types));
    }

    [Fact]
    public async Task A_result_for_a_known_patient_updates_that_patient()
    {
        var processor = new FhirMappingProcessor(Api, MappingSetCatalog.BuiltInOnly);
        var adt = await processor.ProcessAsync(Stored("v2-to-fhir/messages/VXU_V04.hl7"), CancellationToken.None);
        Assert.True(adt.Succeeded, adt.Reason);
        var oml = await processor.ProcessAsync(Stored("v2-to-fhir/messages/OML_O21.hl7", id: 2), CancellationToken.None);
        Assert.True(oml.Succeeded, oml.Reason);
        // Both carry PID-3 1032702 from 1.2.3.4.5 (MR): one Patient.
        Assert.Equal(1, await CountAsync("Patient"));
        Assert.Equal(3, await CountAsync("Immunization"));
        Assert.Equal(1, await CountAsync("ServiceRequest"));
        Assert.Equal(1, await CountAsync("Specimen"));
    }

    [Fact]
    public async Task An_unmappable_message_fails_with_its_reason()
    {
        var processor = new FhirMappingProcessor(Api, MappingSetCatalog.BuiltInOnly);
        var raw = Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|20240101000000||ZZZ^Z99^ZZZ_Z99|1|P|2.5.1\rPID|1||1^^^X^MR\r");
        var outcome = await processor.ProcessAsync(Stored("v2-to-fhir/messages/ADT_A01.hl7") with { Raw = raw }, CancellationToken.None);
        Assert.False(outcome.Succeeded);
        Assert.Contains("no message map for ZZZ^Z99^ZZZ_Z99", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task A_broken_mapping_set_fails_with_its_problem()
    {
        var processor = new FhirMappingProcessor(Api, new MappingSetCatalog(Path.GetTempPath()));
        var outcome = await processor.ProcessAsync(Stored("v2-to-fhir/messages/ADT_A01.hl7", mappingSet: "no-such-set-" + Guid.NewGuid().ToString("N")), CancellationToken.None);
        Assert.False(outcome.Succeeded);
        Assert.Contains("does not exist", outcome.Reason, StringComparison.Ordinal);
    }
}

public sealed class SqliteStoreTests : StoreTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-hl7fhir-").FullName;

    public override async Task InitializeAsync()
    {
        Store = new SqliteFhirStore(Path.Combine(_dir, "m.db"));
        await Store.MigrateAsync();
    }

    public override async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresStoreTests : StoreTests
{
    private PostgresTestDatabase? _database;

    public override async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        Store = PostgresFhirStore.Create(_database.ConnectionString);
        await Store.MigrateAsync();
    }

    public override async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
