using System.IO.Compression;

namespace Meridian.Cli.Import;

/// <summary>
/// Finds the files to import: explicit files as given, directories recursively in ordinal path
/// order (stable across runs, so a checkpoint's positions stay meaningful). Recognised names:
/// <c>*.json</c>, <c>*.ndjson</c>, <c>*.jsonl</c>, each optionally <c>.gz</c>.
/// </summary>
public static class ImportSources
{
    public static (IReadOnlyList<ImportFile> Files, IReadOnlyList<string> Problems) Discover(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<ImportFile>();
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in paths)
        {
            var path = Path.GetFullPath(raw);
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => KindOf(f) is not null)
                    .OrderBy(f => f, StringComparer.Ordinal);
                foreach (var f in found)
                {
                    if (seen.Add(f))
                    {
                        files.Add(Describe(f, KindOf(f)!.Value));
                    }
                }
            }
            else if (File.Exists(path))
            {
                if (KindOf(path) is not { } kind)
                {
                    problems.Add($"{path}: not a .json, .ndjson or .jsonl file (optionally .gz)");
                }
                else if (seen.Add(path))
                {
                    files.Add(Describe(path, kind));
                }
            }
            else
            {
                problems.Add($"{path}: no such file or directory");
            }
        }
        return (files, problems);
    }

    public static SourceKind? KindOf(string path)
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        if (name.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return SourceKind.Ndjson;
        }
        return name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? SourceKind.Json : null;
    }

    private static ImportFile Describe(string path, SourceKind kind)
    {
        var info = new FileInfo(path);
        return new ImportFile(path, kind, info.Length, info.LastWriteTimeUtc);
    }

    /// <summary>
    /// Opens the file, decompressing gzip when the content starts with the gzip magic bytes
    /// (whatever the name says). <paramref name="raw"/> is the file stream, whose position
    /// measures progress in file bytes.
    /// </summary>
    public static Stream Open(ImportFile file, out FileStream raw)
    {
        ArgumentNullException.ThrowIfNull(file);
        raw = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        var n = raw.Read(magic);
        raw.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(raw, CompressionMode.Decompress) : raw;
    }
}
