using System.Collections.Concurrent;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// TEST DOUBLE: consumer positions in memory, standing in for the database-backed
/// IConsumerPositions of the server. Shared between two transports it plays the shared
/// database of two nodes. Can be told to fail, like a database that is briefly down.
/// </summary>
internal sealed class InMemoryConsumerPositions : IConsumerPositions
{
    private readonly ConcurrentDictionary<string, long> _positions = new();

    public Task<long> GetAsync(string consumer, CancellationToken cancellationToken) =>
        Task.FromResult(_positions.GetValueOrDefault(consumer));

    public Task AdvanceAsync(string consumer, long sequence, CancellationToken cancellationToken)
    {
        // Never backwards, as the contract asks.
        _positions.AddOrUpdate(consumer, sequence, (_, current) => Math.Max(current, sequence));
        return Task.CompletedTask;
    }

    public long this[string consumer] => _positions.GetValueOrDefault(consumer);
}
