using System.Text;
using Meridian.Storage;

namespace Meridian.Events.RabbitMq.Tests;

public sealed class ChangeMessageTests
{
    [Fact]
    public void A_change_survives_the_wire_form()
    {
        var change = new ChangeRecord(42, "t1", "Observation", "o-1", 3, ChangeKind.Delete,
            new DateTimeOffset(2026, 11, 22, 4, 5, 6, 789, TimeSpan.Zero), "4bf92f3577b34da6a3ce929d0e0e4736");
        Assert.Equal(change, ChangeMessage.TryDecode(ChangeMessage.EncodeBody(change)));
        Assert.Equal(change with { TraceId = null }, ChangeMessage.TryDecode(ChangeMessage.EncodeBody(change with { TraceId = null })));
    }

    [Fact]
    public void Properties_carry_sequence_persistence_and_traceparent()
    {
        var properties = ChangeMessage.Properties(TestBroker.Change(7, "4bf92f3577b34da6a3ce929d0e0e4736"));
        Assert.Equal("7", properties.MessageId);
        Assert.True(properties.Persistent);
        var traceParent = Assert.IsType<string>(properties.Headers![ChangeMessage.TraceParentHeader]);
        Assert.Matches("^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$", traceParent);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-trace-id")]
    [InlineData("00000000000000000000000000000000")]
    public void No_traceparent_without_a_W3C_trace_id(string? traceId)
    {
        Assert.Null(ChangeMessage.TraceParent(traceId));
        Assert.Null(ChangeMessage.Properties(TestBroker.Change(1, traceId)).Headers);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"seq\":1}")]
    [InlineData("{\"seq\":1,\"tenant\":\"t\",\"type\":\"Patient\",\"id\":\"p\",\"vid\":1,\"kind\":\"Explode\",\"time\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"seq\":\"x\",\"tenant\":\"t\",\"type\":\"Patient\",\"id\":\"p\",\"vid\":1,\"kind\":\"Create\",\"time\":\"2026-01-01T00:00:00Z\"}")]
    public void Foreign_bodies_are_not_change_records(string body)
    {
        Assert.Null(ChangeMessage.TryDecode(Encoding.UTF8.GetBytes(body)));
    }
}
