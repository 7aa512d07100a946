using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Meridian.Bench;

/// <summary>Resources from the shared Synthea bundles, as the raw JSON bytes a server receives.</summary>
public static class SyntheaCorpus
{
    public static string SharedData()
    {
        var env = Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "synthea")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("shared/data not found; set MERIDIAN_SHARED_DATA");
    }

    /// <summary>The entries of the first bundles (sorted by name) until <paramref name="count"/> resources.</summary>
    public static byte[][] Load(int count)
    {
        var result = new List<byte[]>(count);
        foreach (var file in Directory.GetFiles(Path.Combine(SharedData(), "synthea", "bundles"), "*.json.gz").Order(StringComparer.Ordinal))
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var doc = JsonDocument.Parse(gz);
            foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
            {
                result.Add(Encoding.UTF8.GetBytes(entry.GetProperty("resource").GetRawText()));
                if (result.Count == count)
                {
                    return [.. result];
                }
            }
        }
        return [.. result];
    }
}
