using Meridian.Storage.Postgres;
using Meridian.Storage.Tests.Support;
using Npgsql;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// PostgreSQL computes no hash: a group commit chains its audit links onto the head it expects
/// (ChainHeads) and the database checks that head under the chain lock in the same round trip
/// as the links and the COMMIT (migration 0027). A wrong guess must never reach the table: the
/// transaction fails with 40001, is re-run, and the chain stays gap-free and verifiable, also
/// when another store instance or a purge appends to the same chain.
/// </summary>
public sealed class PredictedChainHeadTests : TwoStoresOnOneChain
{
    private const string Tenant = "chain-guess";

    private static async Task WriteAsync(PostgresFhirStore store, string what, int records = 1)
    {
        var result = await store.TransactAsync(Tenant, [.. Enumerable.Range(0, records).Select(i => new CreateOperation("AuditEvent", Audit(what + "-" + i)))]);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    /// <summary>Every link follows the one before it and hashes the stored record, exactly as
    /// <see cref="AuditChain"/> computes it (the verifier's rule), gap-free from 1.</summary>
    private async Task AssertChainAsync(int expected)
    {
        var links = await ((IAuditChainReader)A).ReadChainAsync(Tenant, 0, 10_000);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), links.Select(l => l.Sequence));
        var previous = AuditChain.Genesis.ToArray();
        foreach (var link in links)
        {
            var json = link.Json!.Value.Span;
            Assert.True(link.PreviousHash.Span.SequenceEqual(previous));
            Assert.True(link.Hash.Span.SequenceEqual(AuditChain.Link(previous, link.Sequence, json)));
            Assert.True(link.RecordHash.Span.SequenceEqual(AuditChain.Record(json)));
            previous = link.Hash.ToArray();
        }
        Assert.Empty(await ((IAuditChainReader)A).ReadUnchainedAsync(Tenant, ["AuditEvent"], 10));
    }

    [Fact]
    public async Task A_guess_made_stale_by_another_store_is_refused_rerun_and_the_chain_stays_whole()
    {
        var a = A;
        await WriteAsync(a, "first");          // head unknown: read under the lock, then learned
        await WriteAsync(a, "guessed", 3);     // head guessed (seq 1): one round trip
        Assert.Equal(0, a.ConflictRetryCount);
        await WriteAsync(B, "other store", 2); // appends behind a's back
        await WriteAsync(a, "stale guess");    // a's guess (seq 4) is refused with 40001, re-run
        Assert.Equal(1, a.ConflictRetryCount);
        await WriteAsync(a, "learned again", 2);
        Assert.Equal(1, a.ConflictRetryCount);
        await AssertChainAsync(1 + 3 + 2 + 1 + 2);
    }

    /// <summary>Two stores appending to one chain (two server processes): after a wrong guess a
    /// store reads the head under the lock for a pause that doubles with each further wrong guess,
    /// so the other's appends cost it no more re-runs meanwhile; once the pause is over it guesses
    /// again.</summary>
    [Fact]
    public async Task After_a_wrong_guess_a_store_reads_the_head_for_a_doubling_pause()
    {
        var clock = new PinnedClock(DateTimeOffset.UtcNow);
        var options = new StoreOptions { ChainedTypes = ["AuditEvent"], Clock = clock };
        await using var a = PostgresFhirStore.Create(Database.ConnectionString, options);
        await using var b = PostgresFhirStore.Create(Database.ConnectionString, options);
        await WriteAsync(a, "learn");
        await WriteAsync(a, "guessed");
        await WriteAsync(b, "behind a's back");
        await WriteAsync(a, "wrong guess");          // refused, re-run; a pauses 1 s
        Assert.Equal(1, a.ConflictRetryCount);
        await WriteAsync(b, "again");
        await WriteAsync(a, "paused");               // reads the head under the lock: no re-run
        await WriteAsync(b, "and again");
        await WriteAsync(a, "still paused");
        Assert.Equal(1, a.ConflictRetryCount);

        clock.Advance(TimeSpan.FromSeconds(1.5));
        await WriteAsync(b, "after the pause");
        await WriteAsync(a, "guesses again");        // wrong again: re-run; the pause is now 2 s
        Assert.Equal(2, a.ConflictRetryCount);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await WriteAsync(b, "within the longer pause");
        await WriteAsync(a, "paused longer");
        Assert.Equal(2, a.ConflictRetryCount);
        await AssertChainAsync(12);
    }

    [Fact]
    public async Task Concurrent_batches_of_one_store_queue_in_the_order_they_guessed_and_never_rerun()
    {
        var a = A;
        await WriteAsync(a, "learn");
        await Task.WhenAll(Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
        {
            for (var w = 0; w < 20; w++)
            {
                await WriteAsync(a, "c" + client + "w" + w, 1 + w % 2);
            }
        })));
        // Each batch chained onto the one before it reached the lock: no guess was refused.
        Assert.Equal(0, a.ConflictRetryCount);
        await AssertChainAsync(1 + 16 * 20 * 3 / 2);
    }

    [Fact]
    public async Task A_purge_makes_the_store_read_the_head_again()
    {
        // The purge's audit record is chained in the purge's own transaction, outside any group
        // commit: the store must stop guessing, or its next batch would be refused.
        await using var store = PostgresFhirStore.Create(Database.ConnectionString,
            new StoreOptions { ChainedTypes = ["AuditEvent"], Contributors = [new PurgeAuditor()] });
        await WriteAsync(store, "before", 2);
        await WriteAsync(store, "guessed", 1);
        Assert.True((await store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Gone"), "gone")])).Succeeded);
        var purged = await store.PurgeAsync(Tenant, [new ResourceRef("Patient", "gone")]);
        Assert.Null(purged.Failure);
        await WriteAsync(store, "after", 2);
        Assert.Equal(0, store.ConflictRetryCount);
        await AssertChainAsync(2 + 1 + 1 + 2);
    }

    /// <summary>Adds an AuditEvent to a purge, as the audit module does.</summary>
    private sealed class PurgeAuditor : ITransactionContributor
    {
        public ValueTask<System.Collections.Immutable.ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.Results.Any(r => r.Outcome == WriteOutcome.Purged)
                ? System.Collections.Immutable.ImmutableArray.Create<WriteOperation>(new CreateOperation("AuditEvent", Audit("purge")))
                : []);
    }

    [Fact]
    public async Task The_database_refuses_a_wrong_head_with_a_serialization_failure()
    {
        await WriteAsync(A, "one");
        var links = await ((IAuditChainReader)A).ReadChainAsync(Tenant, 0, 10);
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var scope = new NpgsqlCommand("SELECT set_config('meridian.tenant', $1, true), set_config('meridian.scope', '', true)", connection, tx))
        {
            scope.Parameters.Add(new NpgsqlParameter { Value = Tenant });
            await scope.ExecuteNonQueryAsync();
        }
        await using (var right = new NpgsqlCommand("SELECT meridian_chain_expect($1, 1, $2)", connection, tx))
        {
            right.Parameters.Add(new NpgsqlParameter { Value = Tenant });
            right.Parameters.Add(new NpgsqlParameter { Value = links[0].Hash.ToArray() });
            await right.ExecuteNonQueryAsync();
        }
        await using var wrong = new NpgsqlCommand("SELECT meridian_chain_expect($1, 0, $2)", connection, tx);
        wrong.Parameters.Add(new NpgsqlParameter { Value = Tenant });
        wrong.Parameters.Add(new NpgsqlParameter { Value = AuditChain.Genesis.ToArray() });
        var error = await Assert.ThrowsAsync<PostgresException>(() => wrong.ExecuteNonQueryAsync());
        Assert.Equal("40001", error.SqlState);
    }
}
