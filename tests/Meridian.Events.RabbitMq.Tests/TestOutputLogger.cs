using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>The transport's log in the test output, so a failing run shows what it went through.</summary>
internal sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // Logged after the test finished (a background loop winding down).
        }
    }
}
