using System.Text.Json;

namespace Meridian.Cli.Import;

/// <summary>
/// The error report: NDJSON, one failed resource per line — file, line or entry, resource type
/// and id, HTTP-like status (0: unreadable, never sent) and the OperationOutcome's diagnostics
/// and the outcome itself. A resumed run appends to it.
/// </summary>
public sealed class ErrorReport(string path) : IAsyncDisposable
{
    private StreamWriter? _writer;

    public string Path { get; } = path;

    public async Task OpenAsync(bool append)
    {
        _writer = new StreamWriter(new FileStream(Path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read));
        if (!append)
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    public async Task WriteAsync(ImportFailure failure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var writer = _writer ?? throw new InvalidOperationException("The report is not open.");
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("file", failure.File);
            if (failure.Line is { } line)
            {
                json.WriteNumber("line", line);
            }
            if (failure.Entry is { } entry)
            {
                json.WriteNumber("entry", entry);
            }
            if (failure.ResourceType is not null)
            {
                json.WriteString("resourceType", failure.ResourceType);
            }
            if (failure.Id is not null)
            {
                json.WriteString("id", failure.Id);
            }
            json.WriteNumber("status", failure.Status);
            json.WriteString("diagnostics", failure.Diagnostics);
            if (failure.Outcome is not null)
            {
                json.WritePropertyName("outcome");
                failure.Outcome.WriteTo(json);
            }
            json.WriteEndObject();
        }
        await writer.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).AsMemory(), ct).ConfigureAwait(false);
    }

    public async Task FlushAsync() => await (_writer?.FlushAsync() ?? Task.CompletedTask).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
