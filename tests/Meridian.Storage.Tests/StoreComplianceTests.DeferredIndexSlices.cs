using Meridian.Storage.Relational;

namespace Meridian.Storage.Tests;

/// <summary>The deferred indexer writes a batch in slices of <see cref="StoreOptions.DeferredIndexWriteChunk"/>
/// changes, one writer transaction each (so it never holds SQLite's single writer for a whole
/// batch): every slice advances the durable position, updates seen in several slices leave one
/// set of rows, and the result is the same as one big transaction.</summary>
public abstract partial class StoreComplianceTests
{
    [Fact]
    public async Task The_indexer_writes_a_batch_in_slices_and_ends_complete_through_the_head()
    {
        var deferred = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = s_never, DeferredIndexBatch = 50, DeferredIndexWriteChunk = 3 });
        try
        {
            var ids = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var w = await deferred.TransactAsync(Tenant, [new CreateOperation("AuditEvent", SiteEvent("slice-a")), new CreateOperation("AuditEvent", SiteEvent("slice-a"))]);
                Assert.True(w.Succeeded);
                ids.Add(w.Results[0].Resource!.Id);
            }
            // Updates of one resource land in different slices of the same pass: one set of rows.
            for (var i = 0; i < 4; i++)
            {
                Assert.True((await deferred.TransactAsync(Tenant, [new UpdateOperation("AuditEvent", ids[0], SiteEvent("slice-b"))])).Succeeded);
            }
            var head = await LastSequenceAsync();

            var through = await ((RelationalFhirStore)deferred).IndexDeferredAsync();

            Assert.True(through >= head, $"indexed through {through}, head {head}");
            // Read through the store without the option: the rows are really there.
            Assert.Equal(39, (await Store.SearchAsync(Tenant, BySite("slice-a"))).Total);
            Assert.Equal(1, (await Store.SearchAsync(Tenant, BySite("slice-b"))).Total);
        }
        finally
        {
            await DisposeStoreAsync(deferred);
        }
    }
}
