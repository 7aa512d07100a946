namespace Meridian.Hl7.Tests;

/// <summary>The shared HL7 v2 data (../shared/data/hl7v2), as theory data of relative paths.</summary>
internal static class Hl7Corpus
{
    public static string Root => SharedData.PathOf("hl7v2");

    public static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(Root, relative));

    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.hl7", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>Every valid single message: messages/, the IG's benchmark messages, and the edge cases.</summary>
    public static IEnumerable<string> ValidMessages() => Files("messages").Concat(Files("v2-to-fhir/messages")).Concat(Files("edge-cases"));

    public static IEnumerable<string> Malformed() => Files("malformed");

    public static IEnumerable<string> Batches() => Files("batches");

    public static TheoryData<string> ValidMessageData() => [.. ValidMessages()];

    public static TheoryData<string> MalformedData() => [.. Malformed()];

    public static TheoryData<string> BatchData() => [.. Batches()];
}
