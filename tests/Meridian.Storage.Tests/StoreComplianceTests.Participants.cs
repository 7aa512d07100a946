using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>A transaction participant runs only in the requests it says it joins
/// (<see cref="ITransactionParticipant.Joins"/>, asked with the request's operations): one
/// attached to every request costs nothing in the others, and their writes go through as usual.</summary>
public abstract partial class StoreComplianceTests
{
    [Fact]
    public async Task A_participant_runs_only_in_the_requests_it_joins()
    {
        var participant = new JoinsPatientsNamed("Joined");
        var options = new TransactOptions { Participant = participant };

        var skipped = await Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Skipped"))], options);
        var joined = await Store.TransactAsync(Tenant, [new CreateOperation("Patient", Examples.Patient("Other")), new CreateOperation("Patient", Examples.Patient("Joined"))], options);

        Assert.True(skipped.Succeeded, skipped.Failure?.Message);
        Assert.True(joined.Succeeded, joined.Failure?.Message);
        Assert.True(participant.Asked >= 2, $"asked {participant.Asked} times");
        // Run once, in the second request, seeing both of its operations.
        var run = Assert.Single(participant.Runs);
        Assert.Equal(2, run);
        Assert.NotNull(await Store.ReadAsync(Tenant, "Patient", skipped.Results[0].Resource!.Id));
    }

    private sealed class JoinsPatientsNamed(string family) : ITransactionParticipant
    {
        private int _asked;

        public int Asked => Volatile.Read(ref _asked);

        public ConcurrentQueue<int> Runs { get; } = new();

        public bool Joins(IReadOnlyList<WriteOperation> operations)
        {
            Interlocked.Increment(ref _asked);
            return operations.Any(op => op is CreateOperation c && System.Text.Encoding.UTF8.GetString(c.Content.Json.Span).Contains(family, StringComparison.Ordinal));
        }

        public ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken)
        {
            Runs.Enqueue(context.Operations.Count);
            return ValueTask.FromResult(ImmutableArray<WriteOperation>.Empty);
        }
    }
}
