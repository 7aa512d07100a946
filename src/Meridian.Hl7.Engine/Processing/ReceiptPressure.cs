using System.Diagnostics;

namespace Meridian.Hl7.Engine.Processing;

/// <summary>
/// How busy receipt is, as the dispatcher sees it: messages being received right now (read,
/// stored, audited, acknowledged) and when the last one finished. Receipt is what a sender waits
/// on (its next message follows the ACK), mapping is background work that may lag; the dispatcher
/// reads <see cref="IsBusy"/> to run fewer mapping lanes while senders are active, so the FHIR
/// transactions do not take the cores and the store's group-commit writers the ACKs need.
/// The quiet window bridges the gap between one ACK and the sender's next message (a round trip),
/// which would otherwise read as idle on every message.
/// </summary>
public sealed class ReceiptPressure
{
    /// <summary>How long after the last receipt the engine still counts as receiving by default.</summary>
    public static readonly TimeSpan DefaultQuietWindow = TimeSpan.FromMilliseconds(100);

    private readonly long _windowTicks;
    private int _inFlight;
    private long _lastEnded;

    public ReceiptPressure(TimeSpan? quietWindow = null)
    {
        var window = quietWindow ?? DefaultQuietWindow;
        _windowTicks = (long)(Math.Max(0, window.TotalSeconds) * Stopwatch.Frequency);
        _lastEnded = Stopwatch.GetTimestamp() - _windowTicks - 1;
    }

    /// <summary>Receipts under way now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>A receipt is under way, or one finished within the quiet window.</summary>
    public bool IsBusy =>
        Volatile.Read(ref _inFlight) > 0 || Stopwatch.GetTimestamp() - Volatile.Read(ref _lastEnded) <= _windowTicks;

    /// <summary>Marks one receipt as started; dispose the result when its acknowledgment is ready.</summary>
    public Scope Begin()
    {
        Interlocked.Increment(ref _inFlight);
        return new Scope(this);
    }

    private void End()
    {
        Volatile.Write(ref _lastEnded, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>One receipt in progress.</summary>
    public readonly struct Scope : IDisposable, IEquatable<Scope>
    {
        private readonly ReceiptPressure? _owner;

        internal Scope(ReceiptPressure owner) => _owner = owner;

        public void Dispose() => _owner?.End();

        public bool Equals(Scope other) => ReferenceEquals(_owner, other._owner);

        public override bool Equals(object? obj) => obj is Scope other && Equals(other);

        public override int GetHashCode() => _owner?.GetHashCode() ?? 0;

        public static bool operator ==(Scope left, Scope right) => left.Equals(right);

        public static bool operator !=(Scope left, Scope right) => !left.Equals(right);
    }
}
