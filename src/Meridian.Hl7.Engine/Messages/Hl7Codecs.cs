namespace Meridian.Hl7.Engine.Messages;

/// <summary>The codec the engine uses unless told otherwise.</summary>
public static class Hl7Codecs
{
    public static IHl7MessageCodec Default { get; } = new Hl7ParserCodec();
}
