namespace Meridian.Hl7.Engine.Mllp;

/// <summary>What the deframer found in the bytes fed to it.</summary>
public enum MllpEventKind
{
    /// <summary>A complete payload between <c>0x0B</c> and <c>0x1C 0x0D</c>.</summary>
    Frame,

    /// <summary>A frame grew past the limit; its bytes are discarded up to its end block (the payload holds its head).</summary>
    Oversize,

    /// <summary>Bytes outside any frame (noise, a sender's stray newline), discarded.</summary>
    Garbage,
}

public readonly record struct MllpEvent(MllpEventKind Kind, byte[] Payload, long DiscardedBytes);

/// <summary>
/// Incremental MLLP deframer, independent of sockets so any split or merge of TCP reads can be
/// fed to it: bytes go in as they arrive, complete frames come out. Tolerances: bytes between
/// frames are skipped (reported as <see cref="MllpEventKind.Garbage"/>); a start block inside a
/// frame restarts the frame (the sender gave up on the previous one); an end block not followed
/// by CR still ends the frame when the next byte is a start block (senders that omit the CR).
/// A frame over <c>maxFrameBytes</c> is never buffered whole: it is reported once (with its first
/// <see cref="OversizeHeadBytes"/>) and skipped.
/// Not thread-safe: one per connection.
/// </summary>
public sealed class MllpDeframer(int maxFrameBytes)
{
    private enum State { Outside, Inside, SawEnd, Skipping, SkippingSawEnd }

    private byte[] _frame = new byte[4096];
    private int _length;
    private State _state = State.Outside;
    private long _garbage;
    private byte[] _head = [];

    /// <summary>How much of an oversize frame is kept: enough for its MSH segment, so the
    /// rejection can still be addressed to the sender and recorded.</summary>
    public const int OversizeHeadBytes = 4096;

    public int MaxFrameBytes { get; } = maxFrameBytes > 0 ? maxFrameBytes : throw new ArgumentOutOfRangeException(nameof(maxFrameBytes));

    /// <summary>True while part of a frame is buffered (an idle timeout then loses a partial message).</summary>
    public bool InFrame => _state is State.Inside or State.SawEnd or State.Skipping or State.SkippingSawEnd;

    /// <summary>Consumes <paramref name="data"/> and appends what it completed to <paramref name="events"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data, List<MllpEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var b in data)
        {
            switch (_state)
            {
                case State.Outside:
                    if (b == MllpFraming.StartBlock)
                    {
                        FlushGarbage(events);
                        _length = 0;
                        _state = State.Inside;
                    }
                    else
                    {
                        _garbage++;
                    }
                    break;
                case State.Inside:
                    if (b == MllpFraming.EndBlock)
                    {
                        _state = State.SawEnd;
                    }
                    else if (b == MllpFraming.StartBlock)
                    {
                        // An abandoned partial frame: count it as garbage, start over.
                        _garbage += _length + 1;
                        FlushGarbage(events);
                        _length = 0;
                    }
                    else
                    {
                        Append(b, events);
                    }
                    break;
                case State.SawEnd:
                    if (b == MllpFraming.CarriageReturn)
                    {
                        events.Add(new MllpEvent(MllpEventKind.Frame, _frame.AsSpan(0, _length).ToArray(), 0));
                        _length = 0;
                        _state = State.Outside;
                    }
                    else if (b == MllpFraming.StartBlock)
                    {
                        events.Add(new MllpEvent(MllpEventKind.Frame, _frame.AsSpan(0, _length).ToArray(), 0));
                        _length = 0;
                        _state = State.Inside;
                    }
                    else
                    {
                        // 0x1C inside the payload (not legal HL7, but not ours to judge): keep both.
                        _state = State.Inside;
                        Append(MllpFraming.EndBlock, events);
                        if (_state == State.Inside)
                        {
                            Append(b, events);
                        }
                    }
                    break;
                case State.Skipping:
                    _garbage++;
                    if (b == MllpFraming.EndBlock)
                    {
                        _state = State.SkippingSawEnd;
                    }
                    break;
                case State.SkippingSawEnd:
                    _garbage++;
                    _state = b == MllpFraming.CarriageReturn ? State.Outside : b == MllpFraming.EndBlock ? State.SkippingSawEnd : State.Skipping;
                    if (_state == State.Outside)
                    {
                        events.Add(new MllpEvent(MllpEventKind.Oversize, _head, _garbage));
                        _garbage = 0;
                        _head = [];
                    }
                    break;
            }
        }
        if (_state == State.Outside)
        {
            FlushGarbage(events);
        }
    }

    private void Append(byte b, List<MllpEvent> events)
    {
        if (_length >= MaxFrameBytes)
        {
            _garbage = _length + 1;
            _head = _frame.AsSpan(0, Math.Min(_length, OversizeHeadBytes)).ToArray();
            _length = 0;
            _state = State.Skipping;
            return;
        }
        if (_length == _frame.Length)
        {
            Array.Resize(ref _frame, (int)Math.Min((long)_frame.Length * 2, MaxFrameBytes + 1L));
        }
        _frame[_length++] = b;
    }

    private void FlushGarbage(List<MllpEvent> events)
    {
        if (_garbage > 0)
        {
            events.Add(new MllpEvent(MllpEventKind.Garbage, [], _garbage));
            _garbage = 0;
        }
    }
}
