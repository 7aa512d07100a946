using Meridian.Events.Internal;
using Meridian.Server.Events;

namespace Meridian.Events.Tests;

/// <summary>The small parts: retry pauses, wake-ups, trace ids from <c>traceparent</c>.</summary>
public sealed class InternalsTests
{
    [Fact]
    public void Backoff_grows_exponentially_within_its_bounds_and_is_never_zero()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        for (var failures = 1; failures <= 40; failures++)
        {
            var ceiling = Math.Min(100 * Math.Pow(2, Math.Min(failures - 1, 30)), 10_000);
            var delay = backoff.Delay(failures).TotalMilliseconds;
            Assert.InRange(delay, ceiling / 2, ceiling);
        }
    }

    [Fact]
    public async Task A_signal_before_the_wait_is_not_lost()
    {
        var wakeup = new Wakeup();
        wakeup.Signal();
        // Would hang for an hour (and fail the run) if the signal had been lost.
        await wakeup.WaitAsync(TimeSpan.FromHours(1), TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        wakeup.Signal();
        wakeup.Signal(); // two signals, one wake-up
        await wakeup.WaitAsync(TimeSpan.FromHours(1), TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wakeup.WaitAsync(TimeSpan.FromHours(1), TimeProvider.System, cancelled.Token));
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ", "4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", null)]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", null)]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null)]
    [InlineData("00-4bf92f35-00f067aa0ba902b7-01", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Trace_ids_come_from_valid_traceparent_headers_only(string? header, string? expected) =>
        Assert.Equal(expected, TraceIds.FromTraceparent(header));
}
