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
public sealed class CommitInLastRoundTripTests : TwoStoresOnOneChain
{
    private const string Tenant = "commit-rt";

    [Fact]
    public async Task A_failing_change_row_in_the_commit_round_trip_commits_nothing_and_the_store_goes_on()
    {
        // The change row is the last insert before COMMIT in the same pipeline: make it fail.
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var ddl = new NpgsqlCommand(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poisoned change row'; END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER refuse_poison BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION refuse_poison();", connection);
            await ddl.ExecuteNonQueryAsync();
        }
        var before = (await A.ReadChangesAsync(0, 10_000)).Length;
        var error = await Assert.ThrowsAsync<PostgresException>(() => A.TransactAsync(Tenant,
            [new CreateOperation("Patient", Examples.Patient("Poison"), "poison"), new CreateOperation("AuditEvent", Audit("with poison"))]));
        Assert.Contains("poisoned change row", error.MessageText, StringComparison.Ordinal);
        Assert.Null(await A.ReadAsync(Tenant, "Patient", "poison"));
        Assert.Equal(before, (await A.ReadChangesAsync(0, 10_000)).Length);
        Assert.Empty(await ((IAuditChainReader)A).ReadChainAsync(Tenant, 0, 10));

        // Every writer connection goes on: nothing of the failed transaction is left open.
        for (var i = 0; i < 8; i++)
        {
            var ok = await A.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Fine"), "fine" + i), new CreateOperation("AuditEvent", Audit("fine" + i))]);
            Assert.True(ok.Succeeded, ok.Failure?.Message);
            Assert.NotNull(await B.ReadAsync(Tenant, "Patient", "fine" + i));
        }
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), (await ((IAuditChainReader)A).ReadChainAsync(Tenant, 0, 100)).Select(l => l.Sequence));
    }

    [Fact]
    public async Task Two_stores_writing_one_chain_concurrently_lose_no_request_and_no_link()
    {
        var expected = Enumerable.Range(0, 40).Sum(i => 1 + i % 3);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? A : B;
            var result = await store.TransactAsync(Tenant, [.. Enumerable.Range(0, 1 + i % 3).Select(r => new CreateOperation("AuditEvent", Audit("w" + i + "-" + r)))]);
            Assert.True(result.Succeeded, result.Failure?.Message);
        })));

        var links = await ((IAuditChainReader)A).ReadChainAsync(Tenant, 0, 10_000);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), links.Select(l => l.Sequence));
        var previous = AuditChain.Genesis.ToArray();
        foreach (var link in links)
        {
            var json = link.Json!.Value.Span;
            Assert.True(link.PreviousHash.Span.SequenceEqual(previous));
            Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, json)));
            previous = link.Hash.ToArray();
        }
        var events = await A.SearchAsync(Tenant, new Meridian.Storage.Search.SearchQuery("AuditEvent", null) { Count = 1000 });
        Assert.Equal(expected, events.Matches.Length);
        Assert.Equal(0, A.DeadlockRetryCount + B.DeadlockRetryCount);
    }
}
