using Xunit;

namespace Meridian.Testing;

/// <summary>Finds ../shared/data (beside the repository) or MERIDIAN_SHARED_DATA.</summary>
public static class SharedData
{
    private static readonly Lazy<string> s_root = new(Locate);

    public static string Root => s_root.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>File names of the official R4 examples, in a stable order.</summary>
    public static IEnumerable<string> OfficialExampleNames() =>
        Directory.EnumerateFiles(PathOf("fhir-examples"), "*.json").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal);

    /// <summary>The official examples as theory data (one case per file).</summary>
    public static TheoryData<string> OfficialExamples() => [.. OfficialExampleNames()];

    /// <summary>File names of the Synthea patient bundles, in a stable order.</summary>
    public static IEnumerable<string> SyntheaBundleNames() =>
        Directory.EnumerateFiles(PathOf("synthea", "bundles"), "*.json.gz").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal);

    /// <summary>One Synthea bundle's JSON bytes (gunzipped).</summary>
    public static byte[] SyntheaBundle(string name) => Gunzip(PathOf("synthea", "bundles", name));

    /// <summary>The lines of one gzipped NDJSON file of the Synthea bulk export.</summary>
    public static IEnumerable<string> SyntheaNdjson(string name)
    {
        using var reader = new StreamReader(new MemoryStream(Gunzip(PathOf("synthea", "bulk-ndjson-10-patients", name))));
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            yield return line;
        }
    }

    public static byte[] Gunzip(string path)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "fhir-examples")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("shared/data not found beside the repository; set MERIDIAN_SHARED_DATA");
    }
}
