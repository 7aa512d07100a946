using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>The audit hash chain (<see cref="AuditChain"/>): every version of a chained type gets
/// a gap-free, correctly hashed link in its own transaction, per tenant, under concurrency.</summary>
public abstract partial class StoreComplianceTests
{
    private static ResourceContent AuditEventContent(string what) => Examples.Content(
        "{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"},"
        + "\"recorded\":\"2024-01-01T00:00:00Z\",\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"" + what + "\"}}}");

    [Fact]
    public async Task Chained_types_get_gap_free_verified_links_per_tenant_under_concurrent_writers()
    {
        var chained = Fixture.OpenAnother(new StoreOptions { ChainedTypes = ["AuditEvent"] });
        var other = Tenant + "x";
        try
        {
            var writes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => chained.TransactAsync(Tenant,
            [
                new CreateOperation("AuditEvent", AuditEventContent("a" + i)),
                new CreateOperation("Patient", Examples.Patient("Chain" + i)),
                new CreateOperation("AuditEvent", AuditEventContent("b" + i)),
            ])));
            Assert.All(writes, w => Assert.True(w.Succeeded, w.Failure?.Message));
            Assert.True((await chained.TransactAsync(other, [new CreateOperation("AuditEvent", AuditEventContent("other"))])).Succeeded);

            var reader = (IAuditChainReader)chained;
            var links = await reader.ReadChainAsync(Tenant, 0, 1000);
            Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), links.Select(l => l.Sequence));
            Assert.All(links, l => Assert.Equal("AuditEvent", l.Type));
            var previous = AuditChain.Genesis.ToArray();
            foreach (var link in links)
            {
                var stored = await Store.ReadVersionAsync(Tenant, link.Type, link.Id, link.VersionId);
                Assert.True(stored!.Json.Span.SequenceEqual(link.Json!.Value.Span));
                Assert.True(link.PreviousHash.Span.SequenceEqual(previous));
                Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, stored.Json.Span)));
                Assert.True(link.RecordHash.Span.SequenceEqual(AuditChain.Record(stored.Json.Span)));
                previous = link.Hash.ToArray();
            }
            Assert.Equal([1L], (await reader.ReadChainAsync(other, 0, 1000)).Select(l => l.Sequence));
            Assert.Contains(Tenant, await reader.ChainTenantsAsync(["AuditEvent"]));
            Assert.Empty(await reader.ReadUnchainedAsync(Tenant, ["AuditEvent"], 10));

            // A store without the option writes an AuditEvent the chain never sees.
            var plain = await Store.TransactAsync(Tenant, [new CreateOperation("AuditEvent", AuditEventContent("plain"), "unchained")]);
            Assert.True(plain.Succeeded);
            Assert.Equal(["unchained"], (await reader.ReadUnchainedAsync(Tenant, ["AuditEvent"], 10)).Select(u => u.Id));
        }
        finally
        {
            if (chained is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }
}
