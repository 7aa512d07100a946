using System.Text;
using Meridian.Storage.Relational;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>Deferred search indexing (<see cref="StoreOptions.DeferredIndexTypes"/>): writes of
/// a deferred type carry no index rows, a search that can reach the type still sees every
/// write before it, the durable position lets a restarted store finish the work, and the audit
/// chain is unaffected.</summary>
public abstract partial class StoreComplianceTests
{
    /// <summary>A delay no test waits out: only searches (or an explicit call) index.</summary>
    private static readonly TimeSpan s_never = TimeSpan.FromHours(1);

    private static ResourceContent SiteEvent(string site, string outcome = "0") => ResourceContent.Unindexed(Encoding.UTF8.GetBytes(
        "{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"},"
        + "\"recorded\":\"2024-01-01T00:00:00Z\",\"outcome\":\"" + outcome + "\",\"agent\":[{\"requestor\":true}],\"source\":{\"site\":\"" + site + "\",\"observer\":{\"display\":\"x\"}}}"));

    private static SearchQuery BySite(string site) =>
        new("AuditEvent", new ParameterExpression("site", new TokenPredicate(null, site))) { Count = 1000, Total = TotalMode.Accurate };

    private static async Task DisposeStoreAsync(IFhirStore store)
    {
        if (store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }

    [Fact]
    public async Task Deferred_types_are_written_without_index_rows_and_searches_catch_up_first()
    {
        var deferred = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], ChainedTypes = ["AuditEvent"], DeferredIndexDelay = s_never });
        try
        {
            var writes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => deferred.TransactAsync(Tenant,
            [
                new CreateOperation("AuditEvent", SiteEvent("site-a")),
                new CreateOperation("Patient", Examples.Patient("Deferred" + i)),
                new CreateOperation("AuditEvent", SiteEvent("site-b")),
            ])));
            Assert.All(writes, w => Assert.True(w.Succeeded, w.Failure?.Message));

            // Readable at once; not yet indexed (the store without the option does not wait).
            var first = writes[0].Results[0].Resource!;
            Assert.NotNull(await deferred.ReadAsync(Tenant, "AuditEvent", first.Id));
            Assert.Equal(0, (await Store.SearchAsync(Tenant, BySite("site-a"))).Total);
            // Other types are indexed in their own transaction as before.
            Assert.Equal(8, (await deferred.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("Deferred"))) { Total = TotalMode.Accurate })).Total);

            // A search of the type catches up before it runs.
            Assert.Equal(8, (await deferred.SearchAsync(Tenant, BySite("site-a"))).Total);
            Assert.Equal(8, (await Store.SearchAsync(Tenant, BySite("site-b"))).Total);
            Assert.Equal(0, (await Store.SearchAsync(Tenant, BySite("site-c"))).Total);

            // The chain has every record, in order.
            var links = await ((IAuditChainReader)deferred).ReadChainAsync(Tenant, 0, 1000);
            Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), links.Select(l => l.Sequence));
        }
        finally
        {
            await DisposeStoreAsync(deferred);
        }
    }

    [Fact]
    public async Task Every_search_sees_the_deferred_writes_committed_before_it_under_concurrency()
    {
        var deferred = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = TimeSpan.FromMilliseconds(5), DeferredIndexBatch = 7 });
        try
        {
            var seen = await Task.WhenAll(Enumerable.Range(0, 12).Select(async c =>
            {
                var site = "conc-" + c;
                var counts = new List<long>();
                for (var i = 1; i <= 5; i++)
                {
                    Assert.True((await deferred.TransactAsync(Tenant, [new CreateOperation("AuditEvent", SiteEvent(site))])).Succeeded);
                    counts.Add((await deferred.SearchAsync(Tenant, BySite(site))).Total!.Value);
                }
                return counts;
            }));
            Assert.All(seen, counts => Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, counts));
        }
        finally
        {
            await DisposeStoreAsync(deferred);
        }
    }

    [Fact]
    public async Task A_restarted_store_indexes_what_a_stopped_one_left_behind()
    {
        var first = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = s_never });
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await first.TransactAsync(Tenant, [new CreateOperation("AuditEvent", SiteEvent("left")), new CreateOperation("AuditEvent", SiteEvent("left"))])).Succeeded);
        }
        await DisposeStoreAsync(first);
        Assert.Equal(0, (await Store.SearchAsync(Tenant, BySite("left"))).Total);

        // Start-up (MigrateAsync) wakes the background indexer; nobody searches through this store.
        var second = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = TimeSpan.FromMilliseconds(10) });
        try
        {
            await second.MigrateAsync();
            long? total = 0;
            for (var attempt = 0; attempt < 300 && total != 10; attempt++)
            {
                await Task.Delay(50);
                total = (await Store.SearchAsync(Tenant, BySite("left"))).Total;
            }
            Assert.Equal(10, total);
        }
        finally
        {
            await DisposeStoreAsync(second);
        }
    }

    [Fact]
    public async Task An_updated_deferred_resource_is_found_by_its_current_version_only()
    {
        var deferred = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = s_never });
        try
        {
            Assert.True((await deferred.TransactAsync(Tenant, [new UpdateOperation("AuditEvent", "ae1", SiteEvent("before"))])).Succeeded);
            Assert.Equal(1, (await deferred.SearchAsync(Tenant, BySite("before"))).Total);
            Assert.True((await deferred.TransactAsync(Tenant, [new UpdateOperation("AuditEvent", "ae1", SiteEvent("after"))])).Succeeded);
            Assert.Equal(0, (await deferred.SearchAsync(Tenant, BySite("before"))).Total);
            Assert.Equal(1, (await deferred.SearchAsync(Tenant, BySite("after"))).Total);
            // Indexing again (a second pass over the same change) leaves one set of rows.
            await ((RelationalFhirStore)deferred).IndexDeferredAsync();
            var outcome = new SearchQuery("AuditEvent", new ParameterExpression("outcome", new TokenPredicate(null, "0"))) { Total = TotalMode.Accurate };
            Assert.Equal(1, (await deferred.SearchAsync(Tenant, outcome)).Total);
            Assert.True((await deferred.TransactAsync(Tenant, [new DeleteOperation("AuditEvent", "ae1")])).Succeeded);
            Assert.Equal(0, (await deferred.SearchAsync(Tenant, BySite("after"))).Total);
        }
        finally
        {
            await DisposeStoreAsync(deferred);
        }
    }

    [Fact]
    public async Task Unindexed_content_of_a_type_that_is_not_deferred_is_indexed_in_its_write()
    {
        Assert.True((await Store.TransactAsync(Tenant, [new CreateOperation("AuditEvent", SiteEvent("inline"))])).Succeeded);
        Assert.Equal(1, (await Store.SearchAsync(Tenant, BySite("inline"))).Total);
    }
}
