namespace Meridian.Testing;

/// <summary>A clock that stands still until a test moves it (for StoreOptions.Clock and
/// anything else that takes a <see cref="TimeProvider"/>): no test waits for real time to pass.</summary>
public sealed class PinnedClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
