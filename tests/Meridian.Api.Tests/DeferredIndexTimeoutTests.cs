using System.Collections.Immutable;
using Meridian.Api.Tests.Support;
using Meridian.Server;
using Meridian.Storage;
using Meridian.Storage.Relational;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Meridian.Api.Tests;

/// <summary>
/// A search that can reach AuditEvent waits for the deferred audit indexer at most
/// <c>Storage:DeferredIndexWait</c>; past that the client gets 503 with an OperationOutcome
/// (timeout) and Retry-After, not a 500. The indexer is held back for real: on SQLite a write
/// transaction holds the single writer, on PostgreSQL a transaction holds the indexer's position row.
/// </summary>
public abstract class DeferredIndexTimeoutTests(TestStore kind)
{
    [Fact]
    public async Task A_search_whose_audit_index_cannot_catch_up_in_time_gets_503_with_retry_after()
    {
        await using var server = await ConfiguredServer.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Storage:DeferredIndexWait"] = "00:00:01",
            // Only searches index in this test: the background pass must not win the race below.
            ["Meridian:Storage:DeferredIndexDelay"] = "01:00:00",
        });
        var api = server.NewTenant();
        // Its AuditEvent is committed with it and left to the indexer.
        await api.CreateAsync("""{"resourceType":"Patient","gender":"other"}""");
        var store = server.App.Services.GetRequiredService<IFhirStore>().Find<RelationalFhirStore>()!;

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = await HoldIndexerAsync(server, store, release.Task);
        Task<Reply> search;
        try
        {
            search = api.GetAsync("AuditEvent?_count=10");
            // Bounded: the search gives up after 1 s; the store counts it before answering.
            for (var i = 0; i < 600 && store.DeferredIndexTimeoutCount == 0 && !search.IsCompleted; i++)
            {
                await Task.Delay(50);
            }
            Assert.Equal(1, store.DeferredIndexTimeoutCount);
        }
        finally
        {
            release.TrySetResult();
            await blocker;
        }
        var reply = await search;
        Assert.Equal(503, reply.Code);
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal("timeout", reply.Json!["issue"]![0]!["code"]!.GetValue<string>());
        var retryAfter = reply.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 120);

        // Once the indexer is free the same search succeeds, and it sees the patient's AuditEvent.
        var again = await api.GetAsync("AuditEvent?_count=10");
        Assert.Equal(200, again.Code);
        Assert.Contains("Patient/", again.Text, StringComparison.Ordinal);
    }

    /// <summary>Holds what the indexer's write transaction needs until <paramref name="release"/>;
    /// returns once it is held, with the task that ends the hold.</summary>
    private async Task<Task> HoldIndexerAsync(ConfiguredServer server, RelationalFhirStore store, Task release)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task hold;
        if (kind == TestStore.Sqlite)
        {
            // A write whose transaction waits inside the single writer.
            hold = store.TransactAsync("holder", [new CreateOperation("Patient", ResourceContent.Unindexed("""{"resourceType":"Patient"}"""u8.ToArray()))],
                new TransactOptions { Participant = new Holding(held, release) });
        }
        else
        {
            var connection = server.App.Services.GetRequiredService<IOptions<MeridianServerOptions>>().Value.Connection!;
            hold = Task.Run(async () =>
            {
                await using var c = new NpgsqlConnection(connection);
                await c.OpenAsync();
                await using var tx = await c.BeginTransactionAsync();
                await using (var cmd = new NpgsqlCommand("SELECT set_config('meridian.scope', 'system', true); SELECT position FROM deferred_index FOR UPDATE", c, tx))
                {
                    await cmd.ExecuteNonQueryAsync();
                }
                held.TrySetResult();
                await release;
                await tx.RollbackAsync();
            });
        }
        await Task.WhenAny(held.Task, hold);
        Assert.True(held.Task.IsCompleted, "the indexer's lock could not be taken");
        return hold;
    }

    private sealed class Holding(TaskCompletionSource held, Task release) : ITransactionParticipant
    {
        public async ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken)
        {
            held.TrySetResult();
            await release;
            return [];
        }
    }
}

public sealed class SqliteDeferredIndexTimeoutTests() : DeferredIndexTimeoutTests(TestStore.Sqlite);

public sealed class PostgresDeferredIndexTimeoutTests() : DeferredIndexTimeoutTests(TestStore.Postgres);
