using System.Collections.Immutable;
using Meridian.Storage.Search;
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
    /// <summary>
    /// Server-id creates whose contributor adds a chained AuditEvent run no statement of their
    /// own: their versions, index rows and chain links all go in with the group commit's
    /// deferred rows, the links appended once per tenant. Two tenants interleaved, and requests
    /// that fail in between (a contributor throws, a planned failure): every tenant's chain
    /// holds exactly the committed records, gap-free and verified, and nothing of a failed
    /// request is stored.
    /// </summary>
    [Fact]
    public async Task Deferred_creates_with_contributed_chained_records_commit_only_their_own_links_per_tenant()
    {
        var chained = Fixture.OpenAnother(new StoreOptions { ChainedTypes = ["AuditEvent"], Contributors = [new AuditingContributor()] });
        var other = Tenant + "y";
        try
        {
            var tasks = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
            {
                var tenant = i / 2 % 2 == 0 ? Tenant : other;
                IReadOnlyList<WriteOperation> ops = i % 6 == 5
                    // A planned failure after a plain create: the whole request fails.
                    ? [new CreateOperation("Patient", Examples.Patient("Deferred" + i)), new UpdateOperation("Patient", "missing" + i, Examples.Patient("x"), IfMatch: 3)]
                    : [new CreateOperation("Patient", Examples.Patient((i % 6 == 1 ? "Boom" : "Deferred") + i))];
                try
                {
                    return (i, tenant, (await chained.TransactAsync(tenant, ops)).Succeeded);
                }
                catch (InvalidOperationException)
                {
                    return (i, tenant, false);
                }
            })).ToArray();
            var outcomes = await Task.WhenAll(tasks);
            foreach (var (i, _, succeeded) in outcomes)
            {
                Assert.Equal(i % 6 is not (1 or 5), succeeded);
            }
            var reader = (IAuditChainReader)chained;
            foreach (var tenant in new[] { Tenant, other })
            {
                var committed = outcomes.Count(o => o.tenant == tenant && o.Item3);
                var links = await reader.ReadChainAsync(tenant, 0, 1000);
                Assert.Equal(Enumerable.Range(1, committed).Select(n => (long)n), links.Select(l => l.Sequence));
                var previous = AuditChain.Genesis.ToArray();
                foreach (var link in links)
                {
                    var stored = await Store.ReadVersionAsync(tenant, link.Type, link.Id, link.VersionId);
                    Assert.NotNull(stored);
                    Assert.True(link.PreviousHash.Span.SequenceEqual(previous));
                    Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, stored.Json.Span)));
                    previous = link.Hash.ToArray();
                }
                Assert.Empty(await reader.ReadUnchainedAsync(tenant, ["AuditEvent"], 10));
                var patients = await Store.SearchAsync(tenant, new SearchQuery("Patient", null) { Count = 100 });
                Assert.Equal(committed, patients.Matches.Length);
                Assert.All(patients.Matches, m => Assert.DoesNotContain("Boom", System.Text.Encoding.UTF8.GetString(m.Json.Span), StringComparison.Ordinal));
            }
        }
        finally
        {
            if (chained is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    /// <summary>Adds one AuditEvent per write (as the audit module does); throws for a "Boom" patient.</summary>
    private sealed class AuditingContributor : ITransactionContributor
    {
        public ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken)
        {
            if (context.Results.Any(r => r.Resource is { } res && System.Text.Encoding.UTF8.GetString(res.Json.Span).Contains("Boom", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException("contributor failed");
            }
            if (context.Results.All(r => r.Type == "AuditEvent"))
            {
                return ValueTask.FromResult(ImmutableArray<WriteOperation>.Empty);
            }
            return ValueTask.FromResult(ImmutableArray.Create<WriteOperation>(new CreateOperation("AuditEvent", AuditEventContent("for " + context.Results[0].Id))));
        }
    }
}
