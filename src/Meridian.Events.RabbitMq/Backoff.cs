namespace Meridian.Events.RabbitMq;

/// <summary>Exponential backoff with jitter, so that nodes that failed together (a broker
/// restart) do not all come back in the same instant.</summary>
internal static class Backoff
{
    public static TimeSpan For(int attempt, TimeSpan min, TimeSpan max)
    {
        var exponent = Math.Min(Math.Max(attempt, 0), 16);
        var ceiling = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        // Between half and all of the ceiling: enough spread, never a zero wait.
        var millis = ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(Math.Max(1, millis));
    }
}
