using System.Diagnostics.Metrics;
using System.Text;

namespace Meridian.Events.RabbitMq.Tests;

public sealed class PublisherConfirmTests
{
    [Fact]
    public async Task Publish_returns_only_when_every_message_is_in_the_queue()
    {
        await using var broker = TestBroker.FromEnvironment();
        var confirmed = 0L;
        using var listener = Listen("meridian.events.rabbitmq.confirmed", v => Interlocked.Add(ref confirmed, v));
        await using var transport = new RabbitMqTransport(broker.Options("confirms"));
        for (var from = 1; from <= 1000; from += 250)
        {
            await transport.PublishAsync(TestBroker.Changes(from, from + 249), CancellationToken.None);
            // Confirmed means enqueued: no waiting, the count is already there.
            Assert.Equal((uint)(from + 249), await broker.MessageCountAsync("confirms"));
        }
        Assert.True(Interlocked.Read(ref confirmed) >= 1000);
        Assert.True(transport.IsConnected);
    }

    [Fact]
    public async Task Publish_never_reports_success_without_a_broker()
    {
        // A port nothing listens on: every attempt fails; only cancellation ends the call.
        var options = new RabbitMqTransportOptions
        {
            Uri = new Uri($"amqp://guest:guest@127.0.0.1:{UnusedPort()}/"),
            MinBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
        };
        await using var transport = new RabbitMqTransport(options);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.PublishAsync(TestBroker.Changes(1, 3), cancel.Token));
        Assert.False(transport.IsConnected);
    }

    [Fact]
    public async Task Messages_are_persistent_with_sequence_id_and_traceparent()
    {
        await using var broker = TestBroker.FromEnvironment();
        await using var transport = new RabbitMqTransport(broker.Options("wire"));
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        await transport.PublishAsync([TestBroker.Change(9, traceId)], CancellationToken.None);
        var message = await broker.PeekAsync("wire", TimeSpan.FromSeconds(30));
        Assert.NotNull(message);
        Assert.True(message.BasicProperties.Persistent);
        Assert.Equal("9", message.BasicProperties.MessageId);
        Assert.Equal("application/json", message.BasicProperties.ContentType);
        Assert.StartsWith($"00-{traceId}-", ChangeMessage.TraceParentOf(message.BasicProperties));
        Assert.Equal(TestBroker.Change(9, traceId), ChangeMessage.TryDecode(message.Body.Span));
        Assert.Contains("\"seq\":9", Encoding.UTF8.GetString(message.Body.Span));
    }

    private static int UnusedPort()
    {
        using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        socket.Start();
        return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
    }

    internal static MeterListener Listen(string instrument, Action<long> onValue)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == RabbitMqMetrics.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => onValue(value));
        listener.Start();
        return listener;
    }
}
