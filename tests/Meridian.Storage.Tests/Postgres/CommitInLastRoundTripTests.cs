using Meridian.Storage.Postgres;
using Meridian.Storage.Tests.Support;
using Npgsql;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// A PostgreSQL group commit sends COMMIT in the same round trip as its last deferred rows (the
/// chain links, the change-feed lock and rows). A statement of that pipeline that fails must
/// leave nothing committed and the pooled connection usable; two store instances appending to
/// one tenant's chain (each reads the head under the chain lock) lose no request and no link.
/// </summary>
public sealed class CommitInLastRoundTripTests : IAsyncLifetime
{
    private const string Tenant = "commit-rt";
    private PostgresTestDatabase? _database;
    private PostgresFhirStore? _a;
    private PostgresFhirStore? _b;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var options = new StoreOptions { ChainedTypes = ["AuditEvent"] };
        _a = PostgresFhirStore.Create(_database.ConnectionString, options);
        await _a.MigrateAsync();
        _b = PostgresFhirStore.Create(_database.ConnectionString, options);
    }

    public async Task DisposeAsync()
    {
        await _a!.DisposeAsync();
        await _b!.DisposeAsync();
        await _database!.DisposeAsync();
    }

    private static ResourceContent Audit(string what) => Examples.Content(
        "{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"},"
        + "\"recorded\":\"2024-01-01T00:00:00Z\",\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"" + what + "\"}}}");

    [Fact]
    public async Task A_failing_change_row_in_the_commit_round_trip_commits_nothing_and_the_store_goes_on()
    {
        // The change row is the last insert before COMMIT in the same pipeline: make it fail.
        await using (var connection = new NpgsqlConnection(_database!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var ddl = new NpgsqlCommand(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poisoned change row'; END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER refuse_poison BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION refuse_poison();", connection);
            await ddl.ExecuteNonQueryAsync();
        }
        var before = (await _a!.ReadChangesAsync(0, 10_000)).Length;
        var error = await Assert.ThrowsAsync<PostgresException>(() => _a.TransactAsync(Tenant,
            [new CreateOperation("Patient", Examples.Patient("Poison"), "poison"), new CreateOperation("AuditEvent", Audit("with poison"))]));
        Assert.Contains("poisoned change row", error.MessageText, StringComparison.Ordinal);
        Assert.Null(await _a.ReadAsync(Tenant, "Patient", "poison"));
        Assert.Equal(before, (await _a.ReadChangesAsync(0, 10_000)).Length);
        Assert.Empty(await ((IAuditChainReader)_a).ReadChainAsync(Tenant, 0, 10));

        // Every writer connection goes on: nothing of the failed transaction is left open.
        for (var i = 0; i < 8; i++)
        {
            var ok = await _a.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Fine"), "fine" + i), new CreateOperation("AuditEvent", Audit("fine" + i))]);
            Assert.True(ok.Succeeded, ok.Failure?.Message);
            Assert.NotNull(await _b!.ReadAsync(Tenant, "Patient", "fine" + i));
        }
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), (await ((IAuditChainReader)_a).ReadChainAsync(Tenant, 0, 100)).Select(l => l.Sequence));
    }

    [Fact]
    public async Task Two_stores_writing_one_chain_concurrently_lose_no_request_and_no_link()
    {
        var expected = Enumerable.Range(0, 40).Sum(i => 1 + i % 3);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? _a! : _b!;
            var result = await store.TransactAsync(Tenant, [.. Enumerable.Range(0, 1 + i % 3).Select(r => new CreateOperation("AuditEvent", Audit("w" + i + "-" + r)))]);
            Assert.True(result.Succeeded, result.Failure?.Message);
        })));

        var links = await ((IAuditChainReader)_a!).ReadChainAsync(Tenant, 0, 10_000);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), links.Select(l => l.Sequence));
        var previous = AuditChain.Genesis.ToArray();
        foreach (var link in links)
        {
            var json = link.Json!.Value.Span;
            Assert.True(link.PreviousHash.Span.SequenceEqual(previous));
            Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, json)));
            previous = link.Hash.ToArray();
        }
        var events = await _a!.SearchAsync(Tenant, new Meridian.Storage.Search.SearchQuery("AuditEvent", null) { Count = 1000 });
        Assert.Equal(expected, events.Matches.Length);
        Assert.Equal(0, _a.DeadlockRetryCount + _b!.DeadlockRetryCount);
    }
}
