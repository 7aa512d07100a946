using Xunit.Abstractions;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// Every message of the shared corpus (messages/) whose type has a message map: converted, and
/// its Bundle checked by the core validator. Counts are printed and recorded in
/// docs/hl7v2-mapping.md; the floors catch regressions. Messages without a map must fail with
/// the "no message map" reason, never an exception.
/// </summary>
public sealed class CorpusConversionTests(ITestOutputHelper output)
{
    private const int ConvertedFloor = 191;
    private const int CleanFloor = 181;

    [Fact]
    public void Mapped_corpus_messages_convert_and_validate()
    {
        int mapped = 0, converted = 0, clean = 0, unmapped = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Corpus.Root, "messages"), "*.hl7", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var result = Hl7FhirConverter().Convert(File.ReadAllBytes(file));
            var name = Path.GetRelativePath(Corpus.Root, file);
            if (!result.Success && result.Error!.Contains("no message map", StringComparison.Ordinal))
            {
                unmapped++;
                continue;
            }
            mapped++;
            if (!result.Success)
            {
                output.WriteLine($"{name}: {result.Error}");
                continue;
            }
            converted++;
            var errors = Corpus.ValidationErrors(result.Bundle!);
            if (errors.Count == 0)
            {
                clean++;
            }
            else
            {
                output.WriteLine($"{name}: {errors.Count} validation errors, first: {errors[0]}");
            }
        }
        output.WriteLine($"corpus: {mapped} mapped ({unmapped} without a map), {converted} converted, {clean} validate clean");
        Assert.True(converted >= ConvertedFloor && clean >= CleanFloor, $"{converted} converted, {clean} clean");
    }

    private static Conversion.Hl7FhirConverter Hl7FhirConverter() => Conversion.Hl7FhirConverter.Default;
}
