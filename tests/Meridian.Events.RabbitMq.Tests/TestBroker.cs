using Meridian.Storage;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// Per-test topology on the throwaway broker (MERIDIAN_TEST_RABBITMQ, started by test.sh via
/// scripts/rabbitmq-test-broker.sh): a unique exchange and queue prefix, deleted on dispose.
/// A missing broker is an error, not a skip.
/// </summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private readonly List<string> _consumers = [];

    private TestBroker(Uri uri)
    {
        Uri = uri;
        var unique = "meridian-test-" + Guid.NewGuid().ToString("N")[..12];
        Exchange = unique;
        QueuePrefix = unique;
    }

    public Uri Uri { get; }
    public string Exchange { get; }
    public string QueuePrefix { get; }

    public static TestBroker FromEnvironment() => new(SharedUri());

    public static TestBroker At(Uri uri) => new(uri);

    public static Uri SharedUri()
    {
        var uri = Environment.GetEnvironmentVariable("MERIDIAN_TEST_RABBITMQ");
        if (string.IsNullOrEmpty(uri))
            throw new InvalidOperationException("MERIDIAN_TEST_RABBITMQ is not set: start a broker with `eval \"$(scripts/rabbitmq-test-broker.sh start)\"` (test.sh does this)");
        return new Uri(uri);
    }

    /// <summary>Options for this test's topology; <paramref name="consumers"/> become known
    /// consumers (queues declared by the publisher) and are deleted on dispose.</summary>
    public RabbitMqTransportOptions Options(params string[] consumers)
    {
        _consumers.AddRange(consumers);
        return new RabbitMqTransportOptions
        {
            Uri = Uri,
            Exchange = Exchange,
            QueuePrefix = QueuePrefix,
            KnownConsumers = consumers,
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromSeconds(1),
            Prefetch = 64,
            MaxBatch = 16,
        };
    }

    /// <summary>Messages waiting in a consumer's queue.</summary>
    public async Task<uint> MessageCountAsync(string consumer)
    {
        await using var connection = await new ConnectionFactory { Uri = Uri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.MessageCountAsync($"{QueuePrefix}.{consumer}");
    }

    /// <summary>Receives one message from a consumer's queue and leaves it there (basic.get
    /// does not work on a single-active-consumer quorum queue, so this consumes and cancels).</summary>
    public async Task<BasicDeliverEventArgs?> PeekAsync(string consumer, TimeSpan timeout)
    {
        await using var connection = await new ConnectionFactory { Uri = Uri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var received = new TaskCompletionSource<BasicDeliverEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var raw = new AsyncEventingBasicConsumer(channel);
        raw.ReceivedAsync += (_, e) =>
        {
            // The body is only valid during the callback: keep a copy.
            received.TrySetResult(new BasicDeliverEventArgs(e.ConsumerTag, e.DeliveryTag, e.Redelivered, e.Exchange, e.RoutingKey,
                e.BasicProperties, e.Body.ToArray(), CancellationToken.None));
            return Task.CompletedTask;
        };
        await channel.BasicQosAsync(0, 1, false);
        await channel.BasicConsumeAsync($"{QueuePrefix}.{consumer}", autoAck: false, raw);
        try
        {
            return await received.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var connection = await new ConnectionFactory { Uri = Uri }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var consumer in _consumers.Distinct()) await channel.QueueDeleteAsync($"{QueuePrefix}.{consumer}", false, false);
            await channel.ExchangeDeleteAsync(Exchange, ifUnused: false);
        }
        catch (Exception)
        {
            // A private broker may already be gone; its directory is removed with it.
        }
    }

    public static ChangeRecord Change(long sequence, string? traceId = null) =>
        new(sequence, "default", "Patient", $"p{sequence}", 1, ChangeKind.Create, DateTimeOffset.UnixEpoch.AddSeconds(sequence), traceId);

    public static IReadOnlyList<ChangeRecord> Changes(long from, long to) =>
        [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => Change(i))];

    /// <summary>Polls until the condition holds or the time is up (bounded, never a timing assertion).</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }

    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return await condition();
    }
}
