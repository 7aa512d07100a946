using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>Hard deletes (<see cref="IFhirStoreMaintenance"/>): purge and the retention queries.</summary>
public abstract partial class StoreComplianceTests
{
    private IFhirStoreMaintenance Maintenance => Assert.IsAssignableFrom<IFhirStoreMaintenance>(Store);

    private static ResourceContent ObservationOf(string patientId, string code = "8867-4") => Examples.Content(
        $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patientId}}}"}}""");

    private async Task WriteAsync(params WriteOperation[] ops)
    {
        var result = await Store.TransactAsync(Tenant, ops);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    [Fact]
    public async Task Purge_removes_every_version_index_row_and_change_row_and_leaves_a_marker()
    {
        await WriteAsync(new CreateOperation("Patient", Examples.Patient("Gone", "purge-me"), "p1"), new CreateOperation("Patient", Examples.Patient("Stays", "keep-me"), "p2"));
        await WriteAsync(new UpdateOperation("Patient", "p1", Examples.Patient("Gone2", "purge-me")), new CreateOperation("Observation", ObservationOf("p1"), "o1"));
        await WriteAsync(new DeleteOperation("Observation", "o1"));
        var before = (await Store.ReadChangesAsync(0, 100_000)).Where(c => c.Tenant == Tenant).ToList();
        Assert.Equal(5, before.Count);

        var result = await Maintenance.PurgeAsync(Tenant, [new ResourceRef("Patient", "p1"), new ResourceRef("Observation", "o1"), new ResourceRef("Patient", "never")], new TransactOptions("trace-purge"));

        Assert.True(result.Succeeded);
        Assert.Equal(2, result.Resources);
        Assert.Equal(4, result.Versions);
        Assert.Null(await Store.ReadAsync(Tenant, "Patient", "p1"));
        Assert.Null(await Store.ReadVersionAsync(Tenant, "Patient", "p1", 1));
        Assert.Null(await Store.ReadAsync(Tenant, "Observation", "o1"));
        Assert.Empty((await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "p1"))).Entries);
        var remaining = await Store.HistoryAsync(Tenant, new HistoryQuery());
        Assert.Equal(["p2"], remaining.Entries.Select(e => e.Id));
        var byIdentifier = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("identifier", new TokenPredicate("urn:test", "purge-me"))));
        Assert.Empty(byIdentifier.Matches);
        var kept = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("identifier", new TokenPredicate("urn:test", "keep-me"))));
        Assert.Equal("p2", Assert.Single(kept.Matches).Id);

        var after = (await Store.ReadChangesAsync(0, 100_000)).Where(c => c.Tenant == Tenant).ToList();
        Assert.Equal(3, after.Count);
        Assert.Equal(ChangeKind.Create, after.Single(c => c.Id == "p2").Kind);
        var markers = after.Where(c => c.Kind == ChangeKind.Purge).OrderBy(c => c.Type, StringComparer.Ordinal).ToList();
        Assert.Equal(["Observation/o1", "Patient/p1"], markers.Select(m => m.Type + "/" + m.Id));
        Assert.Equal([2L, 2L], markers.Select(m => m.VersionId));
        Assert.All(markers, m => Assert.Equal("trace-purge", m.TraceId));
        Assert.True(markers.Min(m => m.Sequence) > before.Max(c => c.Sequence));
    }

    [Fact]
    public async Task Contributors_see_the_purge_and_their_rows_commit_with_it_or_not_at_all()
    {
        await WriteAsync(new CreateOperation("Patient", Examples.Patient("Audited"), "pa"), new CreateOperation("Patient", Examples.Patient("Blocked"), "pb"));
        var auditing = new PurgeContributor(results => [new CreateOperation("AuditEvent", Examples.Content(
            """{"resourceType":"AuditEvent","type":{"code":"purge"},"recorded":"2024-01-01T00:00:00Z","agent":[{"requestor":true,"who":{"display":""" + "\"" + string.Join(",", results.Select(r => r.Type + "/" + r.Id)) + "\"" + """}}],"source":{"observer":{"display":"test"}}}"""), "audit-of-purge")]);
        var store = Fixture.OpenAnother(StoreOptions.Default with { Contributors = [auditing] });
        var failing = Fixture.OpenAnother(StoreOptions.Default with { Contributors = [new PurgeContributor(_ => [new UpdateOperation("AuditEvent", "not valid!", Examples.Patient("x"))])] });
        try
        {
            var ok = await ((IFhirStoreMaintenance)store).PurgeAsync(Tenant, [new ResourceRef("Patient", "pa")]);
            Assert.True(ok.Succeeded);
            var seen = Assert.Single(auditing.Seen);
            Assert.Equal(WriteOutcome.Purged, seen.Outcome);
            Assert.Equal("pa", seen.Id);
            Assert.Null(await Store.ReadAsync(Tenant, "Patient", "pa"));
            var audit = await Store.ReadAsync(Tenant, "AuditEvent", "audit-of-purge");
            Assert.NotNull(audit);
            Assert.Contains("Patient/pa", System.Text.Encoding.UTF8.GetString(audit.Json.Span), StringComparison.Ordinal);

            var refused = await ((IFhirStoreMaintenance)failing).PurgeAsync(Tenant, [new ResourceRef("Patient", "pb")]);
            Assert.False(refused.Succeeded);
            Assert.Equal(StoreFailureKind.Invalid, refused.Failure!.Kind);
            Assert.NotNull(await Store.ReadAsync(Tenant, "Patient", "pb"));
            Assert.Single((await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "pb"))).Entries);
        }
        finally
        {
            foreach (var s in new[] { store, failing })
            {
                if (s is IAsyncDisposable d)
                {
                    await d.DisposeAsync();
                }
            }
        }
    }

    private sealed class PurgeContributor(Func<IReadOnlyList<WriteResult>, WriteOperation[]> contribute) : ITransactionContributor
    {
        public System.Collections.Concurrent.ConcurrentQueue<WriteResult> Seen { get; } = new();

        public ValueTask<System.Collections.Immutable.ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken)
        {
            var purged = context.Results.Where(r => r.Outcome == WriteOutcome.Purged).ToList();
            foreach (var r in purged)
            {
                Seen.Enqueue(r);
            }
            return ValueTask.FromResult(purged.Count == 0 ? [] : System.Collections.Immutable.ImmutableArray.Create(contribute(purged)));
        }
    }

    [Fact]
    public async Task Purged_id_can_be_created_again_from_version_1()
    {
        await WriteAsync(new CreateOperation("Patient", Examples.Patient("A"), "again"));
        await WriteAsync(new UpdateOperation("Patient", "again", Examples.Patient("B")));
        Assert.True((await Maintenance.PurgeAsync(Tenant, [new ResourceRef("Patient", "again")])).Succeeded);
        var created = await Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("C"), "again")]);
        Assert.True(created.Succeeded, created.Failure?.Message);
        Assert.Equal(1, created.Results[0].Resource!.VersionId);
        Assert.Single((await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "again"))).Entries);
    }

    [Fact]
    public async Task Purge_stays_inside_its_tenant()
    {
        var other = "t" + Guid.NewGuid().ToString("N")[..16];
        await WriteAsync(new CreateOperation("Patient", Examples.Patient("Mine"), "same"));
        Assert.True((await Store.TransactAsync(other, [new CreateOperation("Patient", Examples.Patient("Theirs"), "same")])).Succeeded);
        var result = await Maintenance.PurgeAsync(Tenant, [new ResourceRef("Patient", "same")]);
        Assert.Equal(1, result.Resources);
        Assert.Null(await Store.ReadAsync(Tenant, "Patient", "same"));
        Assert.NotNull(await Store.ReadAsync(other, "Patient", "same"));
    }

    [Fact]
    public async Task Purge_of_many_resources_spans_statement_chunks()
    {
        var ops = Enumerable.Range(0, 450).Select(i => (WriteOperation)new CreateOperation("Patient", Examples.Patient("Bulk"), "bulk-" + i)).ToArray();
        await WriteAsync(ops);
        var result = await Maintenance.PurgeAsync(Tenant, [.. Enumerable.Range(0, 450).Select(i => new ResourceRef("Patient", "bulk-" + i))]);
        Assert.Equal(450, result.Resources);
        Assert.Empty((await Store.HistoryAsync(Tenant, new HistoryQuery())).Entries);
    }

    [Fact]
    public async Task Deleted_lists_deleted_heads_of_a_type_page_by_page()
    {
        await WriteAsync([.. Enumerable.Range(0, 5).Select(i => (WriteOperation)new CreateOperation("Observation", ObservationOf("x"), "d" + i)), new CreateOperation("Observation", ObservationOf("x"), "live")]);
        await WriteAsync([.. Enumerable.Range(0, 5).Select(i => (WriteOperation)new DeleteOperation("Observation", "d" + i))]);
        await WriteAsync(new UpdateOperation("Observation", "d4", ObservationOf("x", "5555-5"))); // revived: not deleted any more
        var ids = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await Maintenance.DeletedAsync(Tenant, "Observation", cursor, 2);
            Assert.InRange(page.Deletions.Length, 1, 2);
            Assert.All(page.Deletions, d => Assert.True(d.IsDeleted && d.VersionId == 2));
            ids.AddRange(page.Deletions.Select(d => d.Id));
            cursor = page.NextCursor;
            if (cursor is null)
            {
                break;
            }
        }
        Assert.Equal(["d0", "d1", "d2", "d3"], ids.Order(StringComparer.Ordinal));
        Assert.Empty((await Maintenance.DeletedAsync(Tenant, "Patient", null, 10)).Deletions);
    }

    [Fact]
    public async Task FindExpired_returns_only_resources_last_written_before_the_cutoff_and_tenants_lists_this_one()
    {
        var clock = new PinnedClock(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = Fixture.OpenAnother(StoreOptions.Default with { Clock = clock });
        try
        {
            Assert.True((await store.TransactAsync(Tenant, [new CreateOperation("Observation", ObservationOf("x"), "old"), new CreateOperation("Observation", ObservationOf("x"), "touched")])).Succeeded);
            clock.Advance(TimeSpan.FromDays(100));
            Assert.True((await store.TransactAsync(Tenant, [new CreateOperation("Observation", ObservationOf("x"), "new"), new UpdateOperation("Observation", "touched", ObservationOf("x", "1234-5"))])).Succeeded);
            var maintenance = (IFhirStoreMaintenance)store;

            var expired = await maintenance.FindExpiredAsync(Tenant, "Observation", clock.GetUtcNow().AddDays(-50), 10);
            Assert.Equal([new ResourceRef("Observation", "old")], expired.ToArray());
            Assert.Empty(await maintenance.FindExpiredAsync(Tenant, "Patient", clock.GetUtcNow(), 10));
            Assert.Equal(3, (await maintenance.FindExpiredAsync(Tenant, "Observation", clock.GetUtcNow().AddDays(1), 10)).Length);
            Assert.Single(await maintenance.FindExpiredAsync(Tenant, "Observation", clock.GetUtcNow().AddDays(1), 1));
            Assert.Contains(Tenant, await maintenance.TenantsAsync());
        }
        finally
        {
            if (store is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }
}
