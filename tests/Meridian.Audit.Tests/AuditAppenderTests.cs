using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Meridian.Api;
using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Audit.Tests;

/// <summary>Group commit and fail-closed behaviour of the appender and interceptor, on a store
/// double whose transactions the test holds open.</summary>
public sealed class AuditAppenderTests
{
    /// <summary>Records each transaction's size; the first one waits for <see cref="Release"/>.</summary>
    private sealed class GatedStore(bool fail = false) : IFhirStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<(string Tenant, int Operations)> Transactions { get; } = new();

        public void Release() => _gate.TrySetResult();

        public async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                FirstStarted.TrySetResult();
                await _gate.Task;
            }
            Transactions.Enqueue((tenant, operations.Count));
            return fail ? TransactResult.Failed(new StoreFailure(0, StoreFailureKind.Conflict, "down")) : TransactResult.Committed([]);
        }

        public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private static ResourceContent Record(string tenant) =>
        AuditEventWriter.ToContent(new AuditRecord(tenant, "read", "R", DateTimeOffset.UnixEpoch, "0", Caller.Anonymous));

    [Fact]
    public async Task With_two_batches_in_flight_a_record_commits_while_an_earlier_batch_still_waits()
    {
        var store = new GatedStore();
        await using var appender = new AuditAppender(store, maxInFlight: 2);
        var first = appender.AppendAsync("a", Record("a"));
        await store.FirstStarted.Task;
        var second = appender.AppendAsync("a", Record("a"));

        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(first.IsCompleted); // its own commit has not happened: it still waits
        store.Release();
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, store.Transactions.Count);
    }

    [Fact]
    public async Task With_one_batch_in_flight_records_wait_for_the_commit_before_theirs()
    {
        var store = new GatedStore();
        await using var appender = new AuditAppender(store); // not a relational store: one at a time
        var first = appender.AppendAsync("a", Record("a"));
        await store.FirstStarted.Task;
        var second = appender.AppendAsync("a", Record("a"));

        Assert.Empty(store.Transactions);
        Assert.False(second.IsCompleted);
        store.Release();
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, store.Transactions.Count);
    }

    [Fact]
    public async Task Records_arriving_during_a_commit_share_the_next_transaction_and_each_waits_for_its_own()
    {
        var store = new GatedStore();
        await using var appender = new AuditAppender(store);
        var first = appender.AppendAsync("a", Record("a"));
        await store.FirstStarted.Task;
        var rest = Enumerable.Range(0, 31).Select(i => appender.AppendAsync(i % 2 == 0 ? "a" : "b", Record("x"))).ToList();
        Assert.False(first.IsCompleted);
        Assert.DoesNotContain(rest, t => t.IsCompleted);

        store.Release();
        Assert.True(await first);
        Assert.All(await Task.WhenAll(rest), Assert.True);
        // 32 records, 3 transactions: the first alone, then one per tenant.
        var transactions = store.Transactions.OrderBy(t => t.Tenant, StringComparer.Ordinal).ThenBy(t => t.Operations).ToList();
        Assert.Equal([("a", 1), ("a", 16), ("b", 15)], transactions);
    }

    [Fact]
    public async Task A_record_that_cannot_be_committed_withholds_the_response()
    {
        var store = new GatedStore(fail: true);
        store.Release();
        await using var appender = new AuditAppender(store);
        var interceptor = new FhirAuditInterceptor(appender, TimeProvider.System);
        var secret = new FhirResponse(200, Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"1\"}"));

        var response = await interceptor.HandleAsync(new FhirRequest("GET", "Patient/1"), (_, _) => Task.FromResult(secret), CancellationToken.None);

        Assert.Equal(500, response.Status);
        Assert.DoesNotContain("Patient", Encoding.UTF8.GetString(response.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_that_committed_with_its_audit_event_is_not_recorded_twice()
    {
        var store = new GatedStore();
        store.Release();
        await using var appender = new AuditAppender(store);
        var interceptor = new FhirAuditInterceptor(appender, TimeProvider.System);
        var audited = new AuditingStore(store);

        var response = await interceptor.HandleAsync(new FhirRequest("DELETE", "Patient/1"), async (r, ct) =>
        {
            await audited.TransactAsync(r.Tenant, [new DeleteOperation("Patient", "1")], r.WriteOptions, ct);
            return FhirResponse.Empty(204);
        }, CancellationToken.None);

        Assert.Equal(204, response.Status);
        Assert.Single(store.Transactions); // the data transaction only: its contributor carried the record
    }
}
