using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Audit;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Fhir.Mapping;
using Meridian.Hl7.Fhir.Processing;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// Mapped writes go through the REST path's audit interceptor as the sender's integration client
/// (the server's wiring): after a mapped ORU the AuditEvent names every written resource with the
/// integration as agent, and the tenant's audit chain verifies. Batches land in one transaction;
/// one bad message fails alone; a cached conditional id is used for the next message.
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync (xunit lifetime)
public abstract class AuditedProcessingTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private static readonly Caller s_reader = Caller.System("reader", "system/*.rs");
    private static readonly Caller s_auditor = s_reader with { Roles = ["auditor"] };
    private const string Client = "hl7-lab-1";

    protected IFhirStore? Store { get; set; }

    private AuditAppender? _appender;
    private FhirApi? _api;
    private FhirMappingProcessor? _processor;

    protected static StoreOptions AuditedStoreOptions => new() { Contributors = [new AuditContributor(TimeProvider.System)], ChainedTypes = AuditTypes.Chained };

    protected abstract Task OpenAsync();

    protected abstract Task CloseAsync();

    public async Task InitializeAsync()
    {
        await OpenAsync();
        _appender = new AuditAppender(Store!);
        _api = new FhirApi(new AuditingStore(Store!));
        _processor = new FhirMappingProcessor(_api, MappingSetCatalog.BuiltInOnly, new FhirMappingProcessorOptions
        {
            Interceptors = [new FhirAuditInterceptor(_appender, TimeProvider.System)],
        });
    }

    public async Task DisposeAsync()
    {
        if (_appender is not null)
        {
            await _appender.DisposeAsync();
        }
        await CloseAsync();
    }

    private static StoredHl7Message Stored(byte[] raw, long id, string? key = null) =>
        new(id, FhirApi.DefaultTenant, "LAB|HOSP", "c" + id, "ORU", "2.5.1", key, null, Client, "127.0.0.1", DateTimeOffset.UtcNow, "received", 0, null, raw);

    private static byte[] Oru(string controlId, string patient, int observations = 3)
    {
        var b = new StringBuilder()
            .Append("MSH|^~\\&|LAB|HOSP|MERIDIAN|MERIDIAN|20240102030405||ORU^R01^ORU_R01|").Append(controlId).Append("|P|2.5.1\r")
            .Append("PID|1||").Append(patient).Append("^^^HOSP^MR||Doe^John||19700101|M\r")
            .Append("OBR|1|ORD-").Append(controlId).Append("|FIL-").Append(controlId).Append("|24331-1^Lipid panel^LN|||20240102030000\r");
        for (var i = 1; i <= observations; i++)
        {
            b.Append("OBX|").Append(i).Append("|NM|2093-3^Cholesterol^LN||").Append(180 + i).Append("|mg/dL|<200||||F|||20240102030000\r");
        }
        return Encoding.ASCII.GetBytes(b.ToString());
    }

    private async Task<JsonArray> SearchAsync(string type, params KeyValuePair<string, string>[] query)
    {
        var response = await _api!.HandleAsync(new FhirRequest("GET", type) { Caller = type == "AuditEvent" ? s_auditor : s_reader, Query = [new("_count", "1000"), .. query] });
        Assert.True(response.IsSuccess, Encoding.UTF8.GetString(response.Body.Span));
        return JsonNode.Parse(response.Body.Span)!["entry"]?.AsArray() ?? [];
    }

    [Fact]
    public async Task A_mapped_oru_is_audited_per_resource_as_the_integration_and_the_chain_verifies()
    {
        var outcome = await _processor!.ProcessAsync(Stored(Oru("A1", "P-1"), 1), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Reason);

        var observations = (await SearchAsync("Observation")).Select(e => "Observation/" + e!["resource"]!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(3, observations.Count);
        var patient = "Patient/" + (await SearchAsync("Patient")).Single()!["resource"]!["id"]!.GetValue<string>();
        var events = await SearchAsync("AuditEvent");
        var written = events.Select(e => e!["resource"]!.AsObject())
            .Where(a => a["entity"]?.AsArray().Any(x => x!["what"]?["reference"]?.GetValue<string>().StartsWith("Observation/", StringComparison.Ordinal) == true) == true)
            .ToList();
        var audit = Assert.Single(written);
        var entities = audit["entity"]!.AsArray().Select(x => x!["what"]?["reference"]?.GetValue<string>() ?? "").ToList();
        foreach (var resource in observations.Append(patient))
        {
            Assert.Contains(entities, e => e.StartsWith(resource + "/_history/", StringComparison.Ordinal) || e == resource);
        }
        Assert.Contains(entities, e => e.StartsWith("Provenance/", StringComparison.Ordinal));
        var agents = audit["agent"]!.AsArray().Select(a => a!["who"]?["identifier"]?["value"]?.GetValue<string>()).ToList();
        Assert.Contains(Client, agents);
        Assert.Equal("0", audit["outcome"]!.GetValue<string>());

        var report = await AuditChainVerifier.VerifyAsync((IAuditChainReader)Store!, FhirApi.DefaultTenant);
        Assert.True(report.Intact, report.Break?.Message);
        Assert.True(report.Verified >= 1);
    }

    [Fact]
    public async Task A_batch_lands_in_one_transaction_and_a_bad_message_fails_alone()
    {
        // Two Patients with the identifier of P-BAD: its conditional update matches both (412).
        var converted = Conversion.Hl7FhirConverter.Default.Convert(Oru("B2", "P-BAD"));
        var identifier = converted.Bundle!["entry"]!.AsArray().Select(e => e!["resource"]!).First(r => r["resourceType"]!.GetValue<string>() == "Patient")["identifier"]![0]!;
        var identifierSystem = identifier["system"]!.GetValue<string>();
        Assert.Equal("P-BAD", identifier["value"]!.GetValue<string>());
        foreach (var n in new[] { 1, 2 })
        {
            var body = Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","identifier":[{"system":"{{identifierSystem}}","value":"P-BAD"}],"name":[{"family":"Twin{{n}}"}]}""");
            var created = await _api!.HandleAsync(new FhirRequest("POST", "Patient") { Body = body, Headers = new FhirRequestHeaders { ContentType = "application/fhir+json" }, Caller = Caller.System("setup", "system/*.cruds") });
            Assert.True(created.IsSuccess, Encoding.UTF8.GetString(created.Body.Span));
        }

        var batch = new[] { Stored(Oru("B1", "P-10"), 10, "P-10"), Stored(Oru("B2", "P-BAD"), 11, "P-BAD"), Stored(Oru("B3", "P-12"), 12, "P-12") };
        var outcomes = await _processor!.ProcessBatchAsync(batch, CancellationToken.None);
        Assert.True(outcomes[0].Succeeded, outcomes[0].Reason);
        Assert.False(outcomes[1].Succeeded);
        Assert.Contains("412", outcomes[1].Reason, StringComparison.Ordinal);
        Assert.True(outcomes[2].Succeeded, outcomes[2].Reason);
        Assert.Equal(6, (await SearchAsync("Observation")).Count); // 3 for B1, 3 for B3, none for B2
        Assert.Equal(2, (await SearchAsync("Provenance")).Count);

        // The same batch again (a replay): nothing new.
        var again = await _processor.ProcessBatchAsync([batch[0], batch[2]], CancellationToken.None);
        Assert.All(again, o => Assert.True(o.Succeeded, o.Reason));
        Assert.Equal(6, (await SearchAsync("Observation")).Count);
        Assert.Equal(4, (await SearchAsync("Patient")).Count); // the twins, P-10, P-12
    }

    [Fact]
    public async Task With_inline_completion_the_landed_messages_are_marked_processed_in_their_transaction_and_a_bad_one_is_not()
    {
        var converted = Conversion.Hl7FhirConverter.Default.Convert(Oru("D2", "P-BAD2"));
        var identifierSystem = converted.Bundle!["entry"]!.AsArray().Select(e => e!["resource"]!).First(r => r["resourceType"]!.GetValue<string>() == "Patient")["identifier"]![0]!["system"]!.GetValue<string>();
        foreach (var n in new[] { 1, 2 })
        {
            var body = Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","identifier":[{"system":"{{identifierSystem}}","value":"P-BAD2"}],"name":[{"family":"Twin{{n}}"}]}""");
            var created = await _api!.HandleAsync(new FhirRequest("POST", "Patient") { Body = body, Headers = new FhirRequestHeaders { ContentType = "application/fhir+json" }, Caller = Caller.System("setup", "system/*.cruds") });
            Assert.True(created.IsSuccess, Encoding.UTF8.GetString(created.Body.Span));
        }
        var inbox = RelationalHl7Inbox.For(Store!);
        var raws = new[] { Oru("D1", "P-40"), Oru("D2", "P-BAD2"), Oru("D3", "P-42") };
        var appended = await inbox.AppendAsync([.. raws.Select((raw, i) => new InboxEntry(FhirApi.DefaultTenant, "LAB|HOSP", "D" + (i + 1), "ORU", "2.5.1", "P-4" + i, null, Client, "127.0.0.1", DateTimeOffset.UtcNow, raw))]);
        var batch = new List<StoredHl7Message>();
        foreach (var append in appended)
        {
            batch.Add((await inbox.GetAsync(append.Id))!);
        }
        var asked = new List<int>();

        var outcomes = await _processor!.ProcessBatchAsync(batch, messages =>
        {
            asked.Add(messages.Count);
            return inbox.CompletionParticipant(FhirApi.DefaultTenant, [.. messages.Select(m => m.Id)]);
        }, CancellationToken.None);

        // The merged transaction was refused (412), so each message landed alone with its own participant.
        Assert.Equal([3, 1, 1, 1], asked);
        Assert.True(outcomes[0].Succeeded && outcomes[0].Recorded, outcomes[0].Reason);
        Assert.False(outcomes[1].Succeeded || outcomes[1].Recorded);
        Assert.True(outcomes[2].Succeeded && outcomes[2].Recorded, outcomes[2].Reason);
        Assert.Equal(InboxStatus.Processed, (await inbox.GetAsync(batch[0].Id))!.Status);
        Assert.Equal(InboxStatus.Received, (await inbox.GetAsync(batch[1].Id))!.Status); // its refused transaction took the mark with it
        Assert.Equal(InboxStatus.Processed, (await inbox.GetAsync(batch[2].Id))!.Status);
        Assert.Equal(6, (await SearchAsync("Observation")).Count);

        // A batch that lands at once asks once and is recorded whole.
        var more = await inbox.AppendAsync([new InboxEntry(FhirApi.DefaultTenant, "LAB|HOSP", "D4", "ORU", "2.5.1", "P-44", null, Client, "127.0.0.1", DateTimeOffset.UtcNow, Oru("D4", "P-44")),
            new InboxEntry(FhirApi.DefaultTenant, "LAB|HOSP", "D5", "ORU", "2.5.1", "P-45", null, Client, "127.0.0.1", DateTimeOffset.UtcNow, Oru("D5", "P-45"))]);
        var second = new List<StoredHl7Message> { (await inbox.GetAsync(more[0].Id))!, (await inbox.GetAsync(more[1].Id))! };
        asked.Clear();
        var landed = await _processor.ProcessBatchAsync(second, messages =>
        {
            asked.Add(messages.Count);
            return inbox.CompletionParticipant(FhirApi.DefaultTenant, [.. messages.Select(m => m.Id)]);
        }, CancellationToken.None);
        Assert.Equal([2], asked);
        Assert.All(landed, o => Assert.True(o.Succeeded && o.Recorded, o.Reason));
        foreach (var m in second)
        {
            Assert.Equal(InboxStatus.Processed, (await inbox.GetAsync(m.Id))!.Status);
        }
        Assert.Equal(12, (await SearchAsync("Observation")).Count);
    }

    [Fact]
    public async Task A_second_message_for_a_created_patient_uses_the_cached_id_and_updates_it()
    {
        Assert.True((await _processor!.ProcessAsync(Stored(Oru("C1", "P-20"), 20), CancellationToken.None)).Succeeded);
        Assert.Equal(1, _processor.Ids.Count); // the Patient's conditional URL, learnt from its create (the others have hashed ids)
        var outcome = await _processor.ProcessAsync(Stored(Oru("C2", "P-20", observations: 1), 21), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Single(await SearchAsync("Patient"));
        Assert.Equal(2, (await SearchAsync("DiagnosticReport")).Count);
        Assert.Equal(2, (await SearchAsync("Provenance")).Count);
    }

    [Fact]
    public async Task A_patient_that_existed_before_is_searched_for_once_then_updated_by_its_cached_id()
    {
        // The Patient was there before this processor started (loaded over REST, or by a server since restarted).
        var converted = Conversion.Hl7FhirConverter.Default.Convert(Oru("E0", "P-30"));
        var patientEntry = converted.Bundle!["entry"]!.AsArray().First(e => e!["resource"]!["resourceType"]!.GetValue<string>() == "Patient")!;
        var conditionalUrl = patientEntry["request"]!["url"]!.GetValue<string>();
        var identifierSystem = patientEntry["resource"]!["identifier"]![0]!["system"]!.GetValue<string>();
        var body = Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","identifier":[{"system":"{{identifierSystem}}","value":"P-30"}],"name":[{"family":"Before"}]}""");
        var created = await _api!.HandleAsync(new FhirRequest("POST", "Patient") { Body = body, Headers = new FhirRequestHeaders { ContentType = "application/fhir+json" }, Caller = Caller.System("setup", "system/*.cruds") });
        Assert.True(created.IsSuccess, Encoding.UTF8.GetString(created.Body.Span));
        var existingId = JsonNode.Parse(created.Body.Span)!["id"]!.GetValue<string>();

        Assert.True((await _processor!.ProcessAsync(Stored(Oru("E1", "P-30"), 30), CancellationToken.None)).Succeeded);
        Assert.Equal("Patient/" + existingId, _processor.Ids.Find(FhirApi.DefaultTenant, conditionalUrl)); // learnt after the 200 (one lookup)
        var outcome = await _processor.ProcessAsync(Stored(Oru("E2", "P-30", observations: 1), 31), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Reason);
        var patients = await SearchAsync("Patient");
        Assert.Equal(existingId, Assert.Single(patients)!["resource"]!["id"]!.GetValue<string>());
        Assert.Equal("Doe", patients[0]!["resource"]!["name"]![0]!["family"]!.GetValue<string>());
    }
}

public sealed class SqliteAuditedProcessingTests : AuditedProcessingTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-hl7audit-").FullName;

    protected override async Task OpenAsync()
    {
        Store = new SqliteFhirStore(Path.Combine(_dir, "m.db"), AuditedStoreOptions);
        await Store.MigrateAsync();
    }

    protected override async Task CloseAsync()
    {
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresAuditedProcessingTests : AuditedProcessingTests
{
    private PostgresTestDatabase? _database;

    protected override async Task OpenAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        Store = PostgresFhirStore.Create(_database.ConnectionString, AuditedStoreOptions);
        await Store.MigrateAsync();
    }

    protected override async Task CloseAsync()
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
