namespace Meridian.Events.Internal;

/// <summary>Exponential backoff with full jitter between <see cref="First"/> and <see cref="Max"/>:
/// a failing consumer or transport is retried forever, but ever more gently.</summary>
internal sealed record Backoff(TimeSpan First, TimeSpan Max)
{
    public TimeSpan Delay(int failures)
    {
        var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
        var ceiling = Math.Min(First.TotalMilliseconds * Math.Pow(2, exponent), Max.TotalMilliseconds);
        // Half fixed, half random: never zero (no hot loop), and nodes do not retry in lockstep.
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }
}
