namespace Meridian.Events.RabbitMq.Tests;

/// <summary><c>Meridian:Events:RabbitMq:Start</c>: where a consumer without a position starts.</summary>
public sealed class SettingsTests
{
    [Theory]
    [InlineData("beginning", ConsumerStart.Beginning)]
    [InlineData("Now", ConsumerStart.Now)]
    public void Start_is_read_case_insensitively(string start, ConsumerStart expected)
    {
        var settings = new RabbitMqSettings { Uri = "amqp://guest:guest@127.0.0.1:5672/", Start = start };
        Assert.Empty(settings.Problems());
        Assert.Equal(expected, settings.ToOptions(new EventBackboneOptions(), []).Start);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("1")]
    [InlineData("")]
    public void An_unknown_start_is_a_problem(string start)
    {
        var settings = new RabbitMqSettings { Uri = "amqp://guest:guest@127.0.0.1:5672/", Start = start };
        Assert.Contains(settings.Problems(), p => p.Contains("Start must be 'beginning' or 'now'", StringComparison.Ordinal));
    }
}
