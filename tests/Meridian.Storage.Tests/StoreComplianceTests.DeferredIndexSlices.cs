using System.Collections.Concurrent;
using System.Diagnostics;
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

    private static readonly ActivitySource s_testSource = new("Meridian.Storage.Tests.DeferredIndexSpans");

    [Fact]
    public async Task Each_pass_and_each_writer_slice_of_the_indexer_has_a_span()
    {
        var deferred = Fixture.OpenAnother(new StoreOptions { DeferredIndexTypes = ["AuditEvent"], DeferredIndexDelay = s_never, DeferredIndexBatch = 1000, DeferredIndexWriteChunk = 4 });
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is StoreTelemetry.Name or "Meridian.Storage.Tests.DeferredIndexSpans",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        try
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.True((await deferred.TransactAsync(Tenant, [new CreateOperation("AuditEvent", SiteEvent("span-a"))])).Succeeded);
            }

            // Other tests index concurrently (one listener sees every store): only this call's spans count.
            string traceId;
            using (var root = s_testSource.StartActivity("test-root"))
            {
                Assert.NotNull(root);
                traceId = root.TraceId.ToHexString();
                await ((RelationalFhirStore)deferred).IndexDeferredAsync();
            }

            var mine = spans.Where(a => a.TraceId.ToHexString() == traceId).ToList();
            var passes = mine.Where(a => a.OperationName == "store.index.deferred").ToList();
            var slices = mine.Where(a => a.OperationName == "store.index.deferred.slice").ToList();
            Assert.NotEmpty(passes);
            var indexed = passes.Sum(p => (int)p.GetTagItem("meridian.changes")!);
            Assert.True(indexed >= 10, $"the passes report {indexed} changes");
            // Slices of at most 4 changes that add up to what the passes read.
            Assert.True(slices.Count >= 3, $"{slices.Count} slices");
            Assert.All(slices, s => Assert.InRange((int)s.GetTagItem("meridian.changes")!, 1, 4));
            Assert.Equal(indexed, slices.Sum(s => (int)s.GetTagItem("meridian.changes")!));
            Assert.All(slices, s => Assert.Contains(passes, p => p.SpanId == s.ParentSpanId));
        }
        finally
        {
            await DisposeStoreAsync(deferred);
        }
    }
}
