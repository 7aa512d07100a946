using System.Collections.Immutable;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>
/// Group commit: concurrent TransactAsync calls share database transactions, yet each behaves
/// as if it had committed alone. Which requests end up in one batch depends on timing, so every
/// assertion holds for any batching.
/// </summary>
public abstract partial class StoreComplianceTests
{
    [Fact]
    public async Task Concurrent_requests_fail_and_succeed_independently()
    {
        var start = await LastSequenceAsync();
        await CreateAsync("Base", "base");
        var tasks = Enumerable.Range(0, 40).Select(i => Task.Run(() => (i % 4) switch
        {
            // A stale If-Match: fails alone.
            1 => Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "base", Examples.Patient("Stale" + i), IfMatch: 99)]),
            // A request whose second operation fails: its first must not survive either.
            3 => Store.TransactAsync(Tenant,
            [
                new CreateOperation("Patient", Examples.Patient("Half" + i), "half" + i),
                new CreateOperation("Patient", Examples.Patient("Taken" + i), "base"),
            ]),
            _ => Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Ok" + i), "ok" + i)]),
        })).ToArray();
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
        {
            switch (i % 4)
            {
                case 1:
                    Assert.Equal(StoreFailureKind.PreconditionFailed, results[i].Failure?.Kind);
                    break;
                case 3:
                    Assert.Equal(StoreFailureKind.AlreadyExists, results[i].Failure?.Kind);
                    Assert.Equal(1, results[i].Failure!.Index);
                    Assert.Null(await Store.ReadAsync(Tenant, "Patient", "half" + i));
                    break;
                default:
                    Assert.True(results[i].Succeeded, results[i].Failure?.Message);
                    Assert.Equal("Ok" + i, Family((await Store.ReadAsync(Tenant, "Patient", "ok" + i))!));
                    break;
            }
        }
        Assert.Equal("Base", Family((await Store.ReadAsync(Tenant, "Patient", "base"))!));
        var changes = (await Store.ReadChangesAsync(start, 100_000)).Where(c => c.Tenant == Tenant).ToArray();
        Assert.Equal(["base", .. Enumerable.Range(0, 40).Where(i => i % 2 == 0).Select(i => "ok" + i).Order()], changes.Select(c => c.Id).Order());
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
    }

    [Fact]
    public async Task Concurrent_updates_of_one_resource_keep_every_version_and_only_current_index_rows()
    {
        await CreateAsync("U0", "hot");
        var results = await Task.WhenAll(Enumerable.Range(1, 30).Select(i => Task.Run(() =>
            Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "hot", Examples.Patient("U" + i))]))));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Message));
        Assert.Equal(Enumerable.Range(2, 30).Select(v => (long)v), results.Select(r => r.Results[0].Resource!.VersionId).Order());

        var current = (await Store.ReadAsync(Tenant, "Patient", "hot"))!;
        Assert.Equal(31, current.VersionId);
        var currentFamily = Family(current);
        // Exactly the current version is indexed: every superseded family finds nothing.
        for (var i = 0; i <= 30; i++)
        {
            var found = await Store.SearchAsync(Tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("U" + i, StringMatch.Exact))));
            Assert.Equal("U" + i == currentFamily ? 1 : 0, found.Matches.Length);
        }
        var history = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "hot") { Count = 100 });
        Assert.Equal(31, history.Entries.Length);
    }

    [Fact]
    public async Task A_request_whose_contributor_throws_fails_alone()
    {
        var store = Fixture.OpenAnother(new StoreOptions { Contributors = [new ThrowingContributor("boom")] });
        try
        {
            var tasks = Enumerable.Range(0, 20).Select(i => Task.Run(() =>
                store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("C" + i), i == 7 ? "boom" : "calm" + i)]))).ToArray();
            await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[7]);
            for (var i = 0; i < tasks.Length; i++)
            {
                if (i != 7)
                {
                    Assert.True((await tasks[i]).Succeeded);
                    Assert.NotNull(await Store.ReadAsync(Tenant, "Patient", "calm" + i));
                }
            }
            Assert.Null(await Store.ReadAsync(Tenant, "Patient", "boom"));
        }
        finally
        {
            if (store is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Acknowledged_writes_are_durable_before_the_writer_is_closed()
    {
        // The writing store is left open (never disposed, its writer never checkpointed or
        // closed), as after a crash: an independent store on the same database must already
        // find every acknowledged write.
        var writer = Fixture.OpenAnother(StoreOptions.Default);
        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() =>
            writer.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("D" + i), "durable" + i)]))));
        Assert.All(results, r => Assert.True(r.Succeeded));
        var reader = Fixture.OpenAnother(StoreOptions.Default);
        try
        {
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal("D" + i, Family((await reader.ReadAsync(Tenant, "Patient", "durable" + i))!));
            }
        }
        finally
        {
            if (reader is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Creates under caller-generated fresh ids (as the REST layer makes them) skip the head
    /// read and go in with the batch's deferred rows; a "fresh" id that exists after all is never
    /// overwritten: the write fails (by exception or failure value) and the stored version stays.
    /// </summary>
    [Fact]
    public async Task Fresh_id_creates_are_written_and_never_overwrite_an_existing_resource()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Fresh" + i), "fresh" + i) { FreshId = true }]))));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Message));
        for (var i = 0; i < 12; i++)
        {
            var stored = await Store.ReadAsync(Tenant, "Patient", "fresh" + i);
            Assert.Equal("Fresh" + i, Family(stored!));
            Assert.Equal(1, stored!.VersionId);
        }
        var again = Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Clash"), "fresh3") { FreshId = true }]);
        try
        {
            Assert.False((await again).Succeeded);
        }
        catch (System.Data.Common.DbException)
        {
            // SQLite reports the unique violation as an error of the batch.
        }
        var kept = await Store.ReadAsync(Tenant, "Patient", "fresh3");
        Assert.Equal("Fresh3", Family(kept!));
        Assert.Equal(1, kept!.VersionId);
        var history = await Store.HistoryAsync(Tenant, new HistoryQuery("Patient", "fresh3") { Count = 10 });
        Assert.Single(history.Entries);
    }

    [Fact]
    public async Task A_cancelled_request_is_not_written()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Never"), "never")], null, cancelled.Token));
        Assert.Null(await Store.ReadAsync(Tenant, "Patient", "never"));
    }

    /// <summary>Throws for one resource id: an unexpected failure inside a request.</summary>
    private sealed class ThrowingContributor(string id) : ITransactionContributor
    {
        public ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken) =>
            context.Results.Any(r => r.Id == id)
                ? throw new InvalidOperationException("contributor failed for " + id)
                : ValueTask.FromResult(ImmutableArray<WriteOperation>.Empty);
    }
}
