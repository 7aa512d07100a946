using Meridian.Storage.Relational;

namespace Meridian.Storage.Tests;

/// <summary>
/// Group commits holding several tenants' audit records take their locks (each tenant's chain
/// lock, then the change-feed lock) in one global order, so concurrent batches whose tenants
/// came in different orders never deadlock (PostgreSQL runs several writers; SQLite one, where
/// this must hold trivially).
/// </summary>
public abstract partial class StoreComplianceTests
{
    [Fact]
    public async Task Concurrent_group_commits_of_several_tenants_never_rerun_and_keep_every_chain_gap_free()
    {
        const int clients = 16;
        const int writesPerClient = 30;
        string[] tenants = [Tenant + "-b", Tenant + "-a", Tenant + "-c"];
        var store = Fixture.OpenAnother(new StoreOptions { ChainedTypes = ["AuditEvent"], DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = s_never });
        try
        {
            // Each tenant's first write (which may create its data key) is made first: racing
            // for that is a legitimate re-run, not a lock-order one.
            foreach (var tenant in tenants)
            {
                Assert.True((await store.TransactAsync(tenant, [new CreateOperation("AuditEvent", SiteEvent("lock-order"))])).Succeeded);
            }
            var relational = (RelationalFhirStore)store;
            var retriesBefore = relational.ConflictRetryCount;
            // Each client writes to the tenants in its own rotating order, so batches gathered
            // side by side hold the same tenants in different orders (the deadlock's recipe).
            var written = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
            {
                var mine = new List<(string Tenant, string Id)>();
                for (var w = 0; w < writesPerClient; w++)
                {
                    var tenant = tenants[(client + w * (1 + client % 2)) % tenants.Length];
                    var result = await store.TransactAsync(tenant, [new CreateOperation("AuditEvent", SiteEvent("lock-order"))]);
                    Assert.True(result.Succeeded, result.Failure?.Message);
                    mine.Add((tenant, result.Results[0].Resource!.Id));
                }
                return mine;
            })));

            Assert.Equal(0, relational.DeadlockRetryCount);
            Assert.Equal(retriesBefore, relational.ConflictRetryCount);
            var all = written.SelectMany(w => w).ToList();
            Assert.Equal(clients * writesPerClient, all.Count);
            foreach (var tenant in tenants)
            {
                var expected = all.Where(w => w.Tenant == tenant).Select(w => w.Id).Order(StringComparer.Ordinal).ToList();
                var links = await ((IAuditChainReader)store).ReadChainAsync(tenant, 1, 10_000);
                // Gap-free, each link on the one before it, every write on the chain exactly once.
                Assert.Equal(Enumerable.Range(2, expected.Count).Select(i => (long)i), links.Select(l => l.Sequence));
                var previous = (await ((IAuditChainReader)store).ReadChainAsync(tenant, 0, 1))[0].Hash.ToArray();
                foreach (var link in links)
                {
                    Assert.True(link.PreviousHash.Span.SequenceEqual(previous), $"link {link.Sequence} of {tenant} does not follow its predecessor");
                    Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, link.Json!.Value.Span)));
                    previous = link.Hash.ToArray();
                }
                Assert.Equal(expected, links.Select(l => l.Id).Order(StringComparer.Ordinal).ToList());
            }
        }
        finally
        {
            await DisposeStoreAsync(store);
        }
    }
}
