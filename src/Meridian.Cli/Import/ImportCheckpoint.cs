using System.Collections.Immutable;
using System.Text.Json;

namespace Meridian.Cli.Import;

/// <summary>
/// What a file has committed: lines (NDJSON) or entries (Bundles) consumed, whether it is done,
/// and its stored/failed counts. Keyed by the file's size and time: a changed file starts over.
/// </summary>
public sealed record FileProgress(long Length, DateTime ModifiedUtc, long Position, bool Done, long Succeeded, long Failed)
{
    public bool Matches(ImportFile file) => file is not null && file.Length == Length && file.ModifiedUtc == ModifiedUtc;

    public static FileProgress Start(ImportFile file) => new(file.Length, file.ModifiedUtc, 0, false, 0, 0);
}

/// <summary>
/// The resume state of an import into one target, saved after every commit (write to a temporary
/// file, then rename: an interrupted save leaves the previous checkpoint intact). A checkpoint
/// written for another target is ignored.
/// </summary>
public sealed record ImportCheckpoint(string Target, ImmutableDictionary<string, FileProgress> Files)
{
    public const string FileName = ".meridian-import.json";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static ImportCheckpoint Empty(string target) => new(target, ImmutableDictionary<string, FileProgress>.Empty.WithComparers(StringComparer.Ordinal));

    public FileProgress For(ImportFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Files.TryGetValue(file.Path, out var p) && p.Matches(file) ? p : FileProgress.Start(file);
    }

    public ImportCheckpoint With(ImportFile file, FileProgress progress)
    {
        ArgumentNullException.ThrowIfNull(file);
        return this with { Files = Files.SetItem(file.Path, progress) };
    }

    /// <summary>The checkpoint at <paramref name="path"/> when it belongs to <paramref name="target"/>; else an empty one.</summary>
    public static async Task<(ImportCheckpoint Checkpoint, string? Note)> LoadAsync(string path, string target, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return (Empty(target), null);
        }
        try
        {
            await using var stream = File.OpenRead(path);
            var stored = await JsonSerializer.DeserializeAsync<Stored>(stream, s_json, ct).ConfigureAwait(false);
            if (stored?.Target != target || stored.Files is null)
            {
                return (Empty(target), $"{path} belongs to another target ({stored?.Target}); starting afresh.");
            }
            return (new ImportCheckpoint(target, stored.Files.ToImmutableDictionary(StringComparer.Ordinal)), null);
        }
        catch (JsonException ex)
        {
            return (Empty(target), $"{path} is unreadable ({ex.Message}); starting afresh.");
        }
    }

    public async Task SaveAsync(string path, CancellationToken ct)
    {
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, new Stored(Target, new SortedDictionary<string, FileProgress>(Files, StringComparer.Ordinal)), s_json, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private sealed record Stored(string Target, IDictionary<string, FileProgress>? Files);
}
