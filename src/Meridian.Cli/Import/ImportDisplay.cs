using System.Globalization;
using Spectre.Console;

namespace Meridian.Cli.Import;

/// <summary>Plain progress lines, for logs and pipes (one per committed unit).</summary>
public sealed class LineObserver(TextWriter output) : IImportObserver
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private int _count;

    public void Started(IReadOnlyList<ImportFile> files, string? note)
    {
        ArgumentNullException.ThrowIfNull(files);
        _count = files.Count;
        for (var i = 0; i < files.Count; i++)
        {
            _index[files[i].Path] = i + 1;
        }
        if (note is not null)
        {
            output.WriteLine(note);
        }
    }

    public void FileSkipped(ImportFile file, FileProgress progress)
    {
        ArgumentNullException.ThrowIfNull(file);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_index[file.Path]}/{_count}] {file.Path}: done in an earlier run, skipped"));
    }

    public void UnitDone(ImportUnit unit, UnitResult result, FileProgress progress)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(progress);
        var where = unit.EndOfFile ? "done" : $"at {(unit.File.Kind == SourceKind.Ndjson ? "line" : "entry")} {unit.EndPosition}";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{_index[unit.File.Path]}/{_count}] {unit.File.Path}: {result.Succeeded} stored, {result.Failures.Length} failed ({where}; file total {progress.Succeeded} stored, {progress.Failed} failed)"));
    }
}

/// <summary>A Spectre.Console progress bar over the input bytes, with stored/failed counts.</summary>
public sealed class ProgressBarObserver(ProgressTask task, long totalBytes) : IImportObserver
{
    private long _doneBytes;   // bytes of finished files
    private long _stored;
    private long _failed;

    public void Started(IReadOnlyList<ImportFile> files, string? note)
    {
        task.MaxValue = Math.Max(1, totalBytes);
        if (note is not null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(note));
        }
    }

    public void FileSkipped(ImportFile file, FileProgress progress)
    {
        ArgumentNullException.ThrowIfNull(file);
        _doneBytes += file.Length;
        task.Value = _doneBytes;
    }

    public void UnitDone(ImportUnit unit, UnitResult result, FileProgress progress)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(result);
        _stored += result.Succeeded;
        _failed += result.Failures.Length;
        task.Value = _doneBytes + unit.BytesRead;
        if (unit.EndOfFile)
        {
            _doneBytes += unit.File.Length;
        }
        task.Description = string.Create(CultureInfo.InvariantCulture, $"{Markup.Escape(Path.GetFileName(unit.File.Path))}: {_stored} stored, {_failed} failed");
    }
}
