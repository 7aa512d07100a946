using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Storage;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Inline completion: the dispatcher hands a batch processor the inbox's completion participant,
/// the processor's store transaction marks the messages processed, and the dispatcher then runs no
/// completion transaction for them. A transaction that fails takes the mark with it, so the message
/// stays to be completed (here: failed into the error store) by the dispatcher.
/// </summary>
public abstract class InlineCompletionTests
{
    protected abstract EngineStore NewStore();

    [Fact]
    public async Task Messages_marked_in_the_processors_transaction_get_no_completion_commit_and_a_failed_one_does()
    {
        await using var store = NewStore();
        await using var receiver = await EngineHarness.StartAsync(store); // receives only (no processor)
        var processing = await store.OpenAsync();
        try
        {
            var inbox = new CuttableInbox(RelationalHl7Inbox.For(processing));
            var processor = new InlineProcessor(processing) { FailControlId = "I7" };
            var messages = Enumerable.Range(0, 24).Select(i => ($"I{i}", $"P{i % 5}")).ToList();
            await using (var client = await receiver.ConnectAsync())
            {
                foreach (var (controlId, patient) in messages)
                {
                    Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(controlId, patient, observations: 1)))));
                }
            }
            var dispatcher = new Hl7Dispatcher(inbox, processor, lanes: 2, rescanInterval: TimeSpan.FromMilliseconds(50), inlineCompletion: true);
            try
            {
                Assert.True(await EngineHarness.EventuallyAsync(async () =>
                {
                    var counts = await receiver.Inbox.CountsAsync();
                    return counts.GetValueOrDefault(InboxStatus.Processed) == messages.Count - 1 && counts.GetValueOrDefault(InboxStatus.Failed) == 1;
                }));
            }
            finally
            {
                await dispatcher.DisposeAsync();
            }

            Assert.Equal(messages.Count - 1, processor.Recorded.Count);
            Assert.Equal(0, inbox.CompletedAfterwards); // every success was marked inside its own transaction
            var error = Assert.Single(await receiver.Inbox.ListErrorsAsync(new ErrorQuery()));
            Assert.Equal("I7", error.ControlId);
            Assert.Contains("refused", error.Reason, StringComparison.Ordinal);
        }
        finally
        {
            if (processing is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    /// <summary>Lands each message as its own store transaction carrying the completion participant;
    /// the message <see cref="FailControlId"/> gets a transaction that the store refuses.</summary>
    private sealed class InlineProcessor(IFhirStore store) : IHl7BatchProcessor
    {
        public string? FailControlId { get; init; }

        public ConcurrentBag<long> Recorded { get; } = [];

        public Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, CancellationToken cancellationToken) =>
            ProcessBatchAsync(messages, null, cancellationToken);

        public async Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, InlineCompletion? completion, CancellationToken cancellationToken)
        {
            var outcomes = new List<ProcessingOutcome>();
            foreach (var m in messages)
            {
                var participant = completion?.Invoke([m]);
                Assert.NotNull(participant);
                // A refused request: a delete of a resource that does not exist, with If-Match (precondition failed).
                IReadOnlyList<WriteOperation> operations = m.ControlId == FailControlId ? [new DeleteOperation("Basic", "missing-" + m.Id, IfMatch: 7)] : [];
                var result = await store.TransactAsync(m.Tenant, operations, new TransactOptions { Participant = participant }, cancellationToken);
                if (result.Succeeded)
                {
                    Recorded.Add(m.Id);
                    outcomes.Add(ProcessingOutcome.ProcessedAndRecorded);
                }
                else
                {
                    outcomes.Add(ProcessingOutcome.Failed("refused: " + result.Failure!.Kind));
                }
            }
            return [.. outcomes];
        }

        public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken) =>
            (await ProcessBatchAsync([message], cancellationToken))[0];
    }
}

public sealed class SqliteInlineCompletionTests : InlineCompletionTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresInlineCompletionTests : InlineCompletionTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
