using System.Collections.Immutable;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Storage;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// The inbox row and its AuditEvent commit in ONE transaction: when that transaction fails after
/// the row was written, neither exists and the sender gets no positive ACK; when it commits, both do.
/// </summary>
public abstract class SingleCommitTests
{
    protected abstract EngineStore NewStore();

    /// <summary>TEST contributor: throws inside the store transaction while <see cref="Fail"/> is set.</summary>
    private sealed class FailingContributor : ITransactionContributor
    {
        public volatile bool Fail;

        public ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken) =>
            Fail ? throw new InvalidOperationException("injected failure after the inbox rows were written") : ValueTask.FromResult(ImmutableArray<WriteOperation>.Empty);
    }

    [Fact]
    public async Task A_failure_in_the_transaction_leaves_neither_the_inbox_row_nor_its_AuditEvent()
    {
        await using var store = NewStore();
        var failing = new FailingContributor { Fail = true };
        store.ExtraContributors = [failing];
        await using var h = await EngineHarness.StartAsync(store);
        Assert.Equal("AR", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("T1", "P1")))); // not stored: resend later
        Assert.Empty(await h.Inbox.PendingAsync(0, 10));
        Assert.Equal(0, await h.AuditCountAsync());

        failing.Fail = false;
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("T1", "P1"))));
        Assert.Single(await h.Inbox.PendingAsync(0, 10));
        Assert.Equal(1, await h.AuditCountAsync());
    }
}

public sealed class SqliteSingleCommitTests : SingleCommitTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresSingleCommitTests : SingleCommitTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
