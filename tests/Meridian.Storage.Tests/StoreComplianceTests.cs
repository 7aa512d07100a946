using System.Collections.Immutable;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using System.Text;
using System.Text.Json;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>
/// What every store provider must do, run against real engines (after JasperFx/wolverine's
/// shared compliance suites): each provider's test class inherits this and only supplies a
/// fixture. Each test works in its own tenant, so tests never see each other's data.
/// </summary>
public abstract partial class StoreComplianceTests(StoreFixture fixture)
{
    protected IFhirStore Store => fixture.Store;

    protected StoreFixture Fixture => fixture;

    protected string Tenant { get; } = "t" + Guid.NewGuid().ToString("N")[..16];

    private async Task<StoredResource> CreateAsync(string family, string? id = null, string? tenant = null)
    {
        var result = await Store.TransactAsync(tenant ?? Tenant, [new CreateOperation("Patient", Examples.Patient(family), id)]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Results[0].Resource!;
    }

    private static JsonElement Json(StoredResource r) => JsonDocument.Parse(r.Json).RootElement;

    private static string Family(StoredResource r) => Json(r).GetProperty("name")[0].GetProperty("family").GetString()!;

    [Fact]
    public async Task Create_assigns_id_version_1_and_stamps_meta()
    {
        var created = await CreateAsync("Alpha");
        Assert.Equal(1, created.VersionId);
        Assert.False(string.IsNullOrEmpty(created.Id));
        var read = await Store.ReadAsync(Tenant, "Patient", created.Id);
        Assert.NotNull(read);
        Assert.Equal(created.Id, read.Id);
        Assert.Equal(1, read.VersionId);
        Assert.False(read.IsDeleted);
        var json = Json(read);
        Assert.Equal("Patient", json.GetProperty("resourceType").GetString());
        Assert.Equal(created.Id, json.GetProperty("id").GetString());
        Assert.Equal("1", json.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal(read.LastUpdated, DateTimeOffset.Parse(json.GetProperty("meta").GetProperty("lastUpdated").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Alpha", Family(read));
        Assert.Equal(created.Json.ToArray(), read.Json.ToArray());
    }

    [Fact]
    public async Task Create_with_client_id_twice_is_already_exists_value()
    {
        await CreateAsync("One", "p1");
        var again = await Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Two"), "p1")]);
        Assert.False(again.Succeeded);
        Assert.Equal(StoreFailureKind.AlreadyExists, again.Failure!.Kind);
        Assert.Equal("One", Family((await Store.ReadAsync(Tenant, "Patient", "p1"))!));
    }

    [Fact]
    public async Task Invalid_id_is_an_invalid_value()
    {
        var result = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "not valid!", Examples.Patient("X"))]);
        Assert.Equal(StoreFailureKind.Invalid, result.Failure!.Kind);
    }

    [Fact]
    public async Task Update_increments_version_and_vread_returns_every_version()
    {
        await CreateAsync("V1", "p");
        var u = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "p", Examples.Patient("V2"), IfMatch: 1)]);
        Assert.True(u.Succeeded);
        Assert.Equal(WriteOutcome.Updated, u.Results[0].Outcome);
        Assert.Equal(2, u.Results[0].Resource!.VersionId);
        Assert.Equal("V2", Family((await Store.ReadAsync(Tenant, "Patient", "p"))!));
        Assert.Equal("V1", Family((await Store.ReadVersionAsync(Tenant, "Patient", "p", 1))!));
        Assert.Equal("V2", Family((await Store.ReadVersionAsync(Tenant, "Patient", "p", 2))!));
        Assert.Null(await Store.ReadVersionAsync(Tenant, "Patient", "p", 3));
        Assert.Null(await Store.ReadAsync(Tenant, "Patient", "nope"));
    }

    [Fact]
    public async Task Update_of_new_id_creates_it_unless_disallowed()
    {
        var created = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "new1", Examples.Patient("N"))]);
        Assert.Equal(WriteOutcome.Created, created.Results[0].Outcome);
        var refused = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "new2", Examples.Patient("N")) { AllowCreate = false }]);
        Assert.Equal(StoreFailureKind.NotFound, refused.Failure!.Kind);
    }

    [Fact]
    public async Task Stale_if_match_is_a_precondition_failure_and_changes_nothing()
    {
        await CreateAsync("Keep", "p");
        await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "p", Examples.Patient("Keep2"))]);
        var stale = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "p", Examples.Patient("Lost"), IfMatch: 1)]);
        Assert.False(stale.Succeeded);
        Assert.Equal(StoreFailureKind.PreconditionFailed, stale.Failure!.Kind);
        Assert.Equal(0, stale.Failure.Index);
        var current = await Store.ReadAsync(Tenant, "Patient", "p");
        Assert.Equal(2, current!.VersionId);
        Assert.Equal("Keep2", Family(current));
    }

    [Fact]
    public async Task Delete_keeps_history_read_is_gone_and_update_revives()
    {
        await CreateAsync("Del", "d");
        var del = await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "d")]);
        Assert.Equal(WriteOutcome.Deleted, del.Results[0].Outcome);
        var gone = await Store.ReadAsync(Tenant, "Patient", "d");
        Assert.NotNull(gone);
        Assert.True(gone.IsDeleted);
        Assert.Equal(2, gone.VersionId);
        Assert.Equal("Del", Family((await Store.ReadVersionAsync(Tenant, "Patient", "d", 1))!));
        var again = await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "d")]);
        Assert.Equal(WriteOutcome.NoChange, again.Results[0].Outcome);
        var missing = await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "never")]);
        Assert.Equal(WriteOutcome.NoChange, missing.Results[0].Outcome);
        var wrongVersion = await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "never", IfMatch: 1)]);
        Assert.Equal(StoreFailureKind.NotFound, wrongVersion.Failure!.Kind);
        var revived = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "d", Examples.Patient("Back"))]);
        Assert.Equal(WriteOutcome.Created, revived.Results[0].Outcome);
        Assert.Equal(3, revived.Results[0].Resource!.VersionId);
        var history = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "d"));
        Assert.Equal([3L, 2L, 1L], history.Entries.Select(e => e.VersionId));
        Assert.True(history.Entries[1].IsDeleted);
    }

    [Fact]
    public async Task History_pages_with_a_stable_cursor_at_every_level()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync("H" + i, "h" + i);
        }
        for (var v = 0; v < 4; v++)
        {
            await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "h1", Examples.Patient("H1v" + v))]);
        }
        await Store.TransactAsync(Tenant, [new CreateOperation("Observation", Examples.Content("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}"""), "o1")]);

        var instance = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "h1"));
        Assert.Equal([5L, 4L, 3L, 2L, 1L], instance.Entries.Select(e => e.VersionId));
        Assert.Null(instance.NextCursor);

        var type = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient"));
        Assert.Equal(7, type.Entries.Length);
        Assert.All(type.Entries, e => Assert.Equal("Patient", e.Type));

        // System history in pages of 3: 8 versions, no duplicates, none skipped, a write made
        // between pages does not shift them.
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.HistoryAsync(Tenant, new HistoryQuery { Count = 3, Cursor = cursor });
            seen.AddRange(page.Entries.Select(e => $"{e.Type}/{e.Id}/{e.VersionId}"));
            cursor = page.NextCursor;
            if (pages++ == 0)
            {
                await CreateAsync("Late", "late");
            }
        }
        while (cursor is not null);
        Assert.Equal(8, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.DoesNotContain("Patient/late/1", seen);
    }

    [Fact]
    public async Task History_since_and_at_select_by_time()
    {
        var clockStore = Store;
        await CreateAsync("S0", "s");
        var v1 = (await Store.ReadAsync(Tenant, "Patient", "s"))!;
        await Task.Delay(20);
        await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "s", Examples.Patient("S1"))]);
        var v2 = (await Store.ReadAsync(Tenant, "Patient", "s"))!;
        Assert.True(v2.LastUpdated > v1.LastUpdated);

        var since = await clockStore.HistoryAsync(Tenant, new HistoryQuery("Patient", "s") { Since = v2.LastUpdated });
        Assert.Equal([2L], since.Entries.Select(e => e.VersionId));
        var at = await clockStore.HistoryAsync(Tenant, new HistoryQuery("Patient") { At = v1.LastUpdated });
        Assert.Equal([1L], at.Entries.Select(e => e.VersionId));
        var atNow = await clockStore.HistoryAsync(Tenant, new HistoryQuery("Patient") { At = v2.LastUpdated.AddSeconds(1) });
        Assert.Equal([2L], atNow.Entries.Select(e => e.VersionId));
    }

    [Fact]
    public async Task Fifty_parallel_updates_with_if_match_retry_lose_nothing()
    {
        await CreateAsync("Start", "race");
        var workers = Enumerable.Range(0, 50).Select(n => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var current = await Store.ReadAsync(Tenant, "Patient", "race");
                var r = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "race", Examples.Patient("W" + n, "w" + n), current!.VersionId)]);
                if (r.Succeeded)
                {
                    return attempt;
                }
                Assert.Contains(r.Failure!.Kind, new[] { StoreFailureKind.PreconditionFailed, StoreFailureKind.Conflict });
            }
            throw new InvalidOperationException("worker " + n + " never succeeded");
        })).ToArray();
        await Task.WhenAll(workers);

        var versions = new List<StoredResource>();
        string? cursor = null;
        do
        {
            var page = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "race") { Count = 20, Cursor = cursor });
            versions.AddRange(page.Entries);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Range(1, 51).Select(i => (long)i).Reverse(), versions.Select(v => v.VersionId));
        var writers = versions.Where(v => v.VersionId > 1).Select(Family).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(n => "W" + n).Order().ToArray(), writers);
        Assert.Equal(51, (await Store.ReadAsync(Tenant, "Patient", "race"))!.VersionId);
    }

    [Fact]
    public async Task A_failing_operation_rolls_back_the_whole_transaction()
    {
        var start = await LastSequenceAsync();
        await CreateAsync("Existing", "e");
        var result = await Store.TransactAsync(Tenant,
        [
            new CreateOperation("Patient", Examples.Patient("A"), "a"),
            new UpdateOperation("Patient", "e", Examples.Patient("E2")),
            new UpdateOperation("Patient", "e", Examples.Patient("E3"), IfMatch: 1),
        ]);
        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Failure!.Index);
        Assert.Equal(StoreFailureKind.PreconditionFailed, result.Failure.Kind);
        Assert.Null(await Store.ReadAsync(Tenant, "Patient", "a"));
        Assert.Equal(1, (await Store.ReadAsync(Tenant, "Patient", "e"))!.VersionId);
        var changes = (await Store.ReadChangesAsync(start, 10_000)).Where(c => c.Tenant == Tenant).ToArray();
        Assert.Single(changes);
    }

    [Fact]
    public async Task A_batch_may_touch_the_same_resource_twice()
    {
        var result = await Store.TransactAsync(Tenant,
        [
            new CreateOperation("Patient", Examples.Patient("First"), "twice"),
            new UpdateOperation("Patient", "twice", Examples.Patient("Second"), IfMatch: 1),
            new CreateOperation("Patient", Examples.Patient("Other")),
        ]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(2, result.Results[1].Resource!.VersionId);
        var read = await Store.ReadAsync(Tenant, "Patient", "twice");
        Assert.Equal("Second", Family(read!));
        var search = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("first"))));
        Assert.Empty(search.Matches);
    }

    [Fact]
    public async Task Change_feed_lists_every_version_in_commit_order()
    {
        var start = await LastSequenceAsync();
        await CreateAsync("C1", "c");
        await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "c", Examples.Patient("C2"))], new TransactOptions("trace-42"));
        await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "c"), new CreateOperation("Patient", Examples.Patient("D"), "d")]);
        var changes = (await Store.ReadChangesAsync(start, 10_000)).Where(c => c.Tenant == Tenant).ToArray();
        Assert.Equal([ChangeKind.Create, ChangeKind.Update, ChangeKind.Delete, ChangeKind.Create], changes.Select(c => c.Kind));
        Assert.Equal(["c", "c", "c", "d"], changes.Select(c => c.Id));
        Assert.Equal([1L, 2L, 3L, 1L], changes.Select(c => c.VersionId));
        Assert.Equal("trace-42", changes[1].TraceId);
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        var paged = await Store.ReadChangesAsync(changes[0].Sequence, 1);
        Assert.Single(paged);
        Assert.True(paged[0].Sequence > changes[0].Sequence);
    }

    [Fact]
    public async Task Change_feed_sequences_follow_commit_order_under_concurrency()
    {
        var start = await LastSequenceAsync();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => CreateAsync("P" + i, "cc" + i))));
        var changes = (await Store.ReadChangesAsync(start, 100_000)).Where(c => c.Tenant == Tenant).ToArray();
        Assert.Equal(20, changes.Length);
        Assert.Equal(20, changes.Select(c => c.Id).Distinct().Count());
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
    }

    [Fact]
    public async Task Tenants_never_see_each_other()
    {
        var other = Tenant + "b";
        await CreateAsync("Mine", "same");
        await CreateAsync("Theirs", "same", other);
        Assert.Equal("Mine", Family((await Store.ReadAsync(Tenant, "Patient", "same"))!));
        Assert.Equal("Theirs", Family((await Store.ReadAsync(other, "Patient", "same"))!));
        await Store.TransactAsync(other, [new UpdateOperation("Patient", "same", Examples.Patient("Theirs2"))]);
        Assert.Equal(1, (await Store.ReadAsync(Tenant, "Patient", "same"))!.VersionId);
        Assert.Single((await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "same"))).Entries);
        var mine = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("theirs"))));
        Assert.Empty(mine.Matches);
        var theirs = await Store.SearchAsync(other, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("theirs"))));
        Assert.Single(theirs.Matches);
        Assert.Null(await Store.ReadAsync("nobody", "Patient", "same"));
    }

    [Fact]
    public async Task Migrations_are_idempotent()
    {
        await CreateAsync("Before", "m");
        await Store.MigrateAsync();
        await Store.MigrateAsync();
        Assert.Equal("Before", Family((await Store.ReadAsync(Tenant, "Patient", "m"))!));
        await CreateAsync("After", "m2");
    }

    [Fact]
    public async Task Transaction_contributors_add_rows_in_the_same_transaction()
    {
        var audited = Fixture.OpenAnother(new StoreOptions { Contributors = [new AuditContributor()] });
        try
        {
            var ok = await audited.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Audited"), "aud")]);
            Assert.True(ok.Succeeded, ok.Failure?.Message);
            Assert.NotNull(await Store.ReadAsync(Tenant, "AuditEvent", "audit-aud-1"));
            // The contributor's row for version 2 clashes with an AuditEvent the caller writes
            // itself: the whole transaction, data change included, rolls back.
            var clash = await audited.TransactAsync(Tenant, [new CreateOperation("AuditEvent", AuditContributor.Event("x"), "audit-aud-2"), new DeleteOperation("Patient", "aud")]);
            Assert.False(clash.Succeeded);
            Assert.Equal(StoreFailureKind.AlreadyExists, clash.Failure!.Kind);
            Assert.False((await Store.ReadAsync(Tenant, "Patient", "aud"))!.IsDeleted);
            Assert.Null(await Store.ReadAsync(Tenant, "AuditEvent", "audit-aud-2"));
        }
        finally
        {
            if (audited is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    /// <summary>Writes one AuditEvent per written version, with a deterministic id.</summary>
    private sealed class AuditContributor : ITransactionContributor
    {
        public static ResourceContent Event(string what) => Examples.Content(
            "{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"},"
            + "\"recorded\":\"2024-01-01T00:00:00Z\",\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"" + what + "\"}}}");

        public ValueTask<System.Collections.Immutable.ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.Results
                .Where(r => r.Resource is not null && r.Type != "AuditEvent")
                .Select(r => (WriteOperation)new CreateOperation("AuditEvent", Event(r.Id), $"audit-{r.Id}-{r.Resource!.VersionId}"))
                .ToImmutableArray());
    }

    [Fact]
    public async Task Concurrent_creates_of_one_client_id_create_it_once()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Racer" + i), "one")]))));
        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(StoreFailureKind.AlreadyExists, r.Failure!.Kind));
        var history = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "one"));
        Assert.Single(history.Entries);
    }

    [Fact]
    public async Task Large_batches_create_and_update_thousands_in_one_transaction()
    {
        const int n = 1200; // above every statement chunk size (heads 500, demote 1000, insert rows 500)
        var create = await Store.TransactAsync(Tenant, [.. Enumerable.Range(0, n).Select(i => new CreateOperation("Patient", Examples.Patient("Bulk", "b" + i), "b" + i))]);
        Assert.True(create.Succeeded, create.Failure?.Message);
        var update = await Store.TransactAsync(Tenant, [.. Enumerable.Range(0, n).Select(i => new UpdateOperation("Patient", "b" + i, Examples.Patient("Bulked", "b" + i), IfMatch: 1))]);
        Assert.True(update.Succeeded, update.Failure?.Message);
        Assert.All(update.Results, r => Assert.Equal(2, r.Resource!.VersionId));
        var old = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("bulk", StringMatch.Exact))) { Count = 0 });
        Assert.Equal(0, old.Total);
        var now = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("Bulked", StringMatch.Exact))) { Count = 0 });
        Assert.Equal(n, now.Total);
        var one = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("identifier", new TokenPredicate("urn:test", "b777"))));
        Assert.Equal("b777", Assert.Single(one.Matches).Id);
    }

    [Fact]
    public async Task Updating_with_identical_content_makes_no_new_version()
    {
        var start = await LastSequenceAsync();
        var content = Examples.Patient("Same", "s1");
        await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "same", content)]);
        var again = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "same", content), new UpdateOperation("Patient", "other", content)]);
        Assert.True(again.Succeeded, again.Failure?.Message);
        Assert.Equal(WriteOutcome.NoChange, again.Results[0].Outcome);
        Assert.Equal(1, again.Results[0].Resource!.VersionId);
        Assert.Equal("Same", Family(again.Results[0].Resource!));
        Assert.Equal(WriteOutcome.Created, again.Results[1].Outcome);
        var changed = await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "same", Examples.Patient("Different", "s1"))]);
        Assert.Equal(2, changed.Results[0].Resource!.VersionId);
        var changes = (await Store.ReadChangesAsync(start, 10_000)).Where(c => c.Tenant == Tenant).ToArray();
        Assert.Equal(3, changes.Length);
    }

    [Fact]
    public async Task Batches_touching_the_same_resources_in_opposite_order_all_commit()
    {
        await CreateAsync("A", "a");
        await CreateAsync("B", "b");
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() =>
        {
            WriteOperation a = new UpdateOperation("Patient", "a", Examples.Patient("A" + i));
            WriteOperation b = new UpdateOperation("Patient", "b", Examples.Patient("B" + i));
            return Store.TransactAsync(Tenant, i % 2 == 0 ? [a, b] : [b, a]);
        })));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Message));
        foreach (var id in new[] { "a", "b" })
        {
            var history = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", id));
            Assert.Equal(Enumerable.Range(1, 11).Select(v => (long)v).Reverse(), history.Entries.Select(e => e.VersionId));
        }
    }

    private async Task<long> LastSequenceAsync()
    {
        long last = 0;
        while (true)
        {
            var page = await Store.ReadChangesAsync(last, 100_000);
            if (page.IsEmpty)
            {
                return last;
            }
            last = page[^1].Sequence;
        }
    }
}
