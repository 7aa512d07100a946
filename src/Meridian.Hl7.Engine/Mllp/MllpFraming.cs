namespace Meridian.Hl7.Engine.Mllp;

/// <summary>
/// The Minimal Lower Layer Protocol envelope (HL7 v2 Implementation Guide, appendix C):
/// <c>0x0B</c> payload <c>0x1C 0x0D</c>. The payload is the message in its own character set.
/// </summary>
public static class MllpFraming
{
    public const byte StartBlock = 0x0B;
    public const byte EndBlock = 0x1C;
    public const byte CarriageReturn = 0x0D;

    /// <summary>The framed bytes of <paramref name="payload"/>.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> payload)
    {
        var framed = new byte[payload.Length + 3];
        framed[0] = StartBlock;
        payload.CopyTo(framed.AsSpan(1));
        framed[^2] = EndBlock;
        framed[^1] = CarriageReturn;
        return framed;
    }
}
