using System.Diagnostics;
using System.Text.Json;

namespace Meridian.Cli.Import;

/// <summary>Settings of one import run.</summary>
public sealed record ImportOptions(string CheckpointPath, string ReportPath)
{
    /// <summary>NDJSON lines / collection entries per store transaction.</summary>
    public int ChunkSize { get; init; } = 500;

    /// <summary>POST every resource as given (server-assigned ids) instead of deterministic PUTs; see <see cref="ImportEntries"/>.</summary>
    public bool ServerIds { get; init; }

    /// <summary>Ignore an existing checkpoint and start again (the report is rewritten).</summary>
    public bool Restart { get; init; }

    /// <summary>Attempts after a transport failure or a 429/502/503/504 before the run stops (resumable).</summary>
    public int Retries { get; init; } = 3;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Files imported at once (each file's units in order, in their own transactions): parsing and
    /// validation of one file overlap the writes of another.</summary>
    public int Parallelism { get; init; } = 1;
}

/// <summary>Hears about progress (the command draws a progress bar or prints lines from it).</summary>
public interface IImportObserver
{
    void Started(IReadOnlyList<ImportFile> files, string? note);

    void FileSkipped(ImportFile file, FileProgress progress);

    void UnitDone(ImportUnit unit, UnitResult result, FileProgress progress);
}

/// <summary>
/// Reads each file into units, POSTs each unit to the target and records it in the checkpoint
/// only after the target answered (committed or refused for good), so an interrupted run resumes
/// after the last committed unit. A refused transaction chunk is re-sent as a batch so the good
/// resources are stored and each bad one is reported with its own OperationOutcome.
/// </summary>
public sealed class ImportRunner(IImportTarget target, ImportOptions options, IImportObserver? observer = null)
{
    public async Task<ImportSummary> RunAsync(IReadOnlyList<ImportFile> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var started = Stopwatch.GetTimestamp();
        var (checkpoint, note) = options.Restart
            ? (ImportCheckpoint.Empty(target.Identity), null)
            : await ImportCheckpoint.LoadAsync(options.CheckpointPath, target.Identity, cancellationToken).ConfigureAwait(false);
        var resuming = !checkpoint.Files.IsEmpty;
        long earlierFailures = 0;
        foreach (var f in files)
        {
            earlierFailures += checkpoint.For(f).Failed;
        }
        observer?.Started(files, note);
        await using var report = new ErrorReport(options.ReportPath);
        await report.OpenAsync(append: resuming).ConfigureAwait(false);
        int skipped = 0;
        long succeeded = 0, failed = 0;
        // Files run side by side when Parallelism > 1 (each file's units stay in order); the
        // bookkeeping after each commit — report, checkpoint, observer — is serialised by one gate.
        using var gate = new SemaphoreSlim(1, 1);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(files, parallel, async (file, ct) =>
        {
            var progress = checkpoint.For(file);
            if (progress.Done)
            {
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                skipped++;
                observer?.FileSkipped(file, progress);
                gate.Release();
                return;
            }
            var units = file.Kind == SourceKind.Ndjson
                ? NdjsonReader.ReadAsync(file, progress.Position, options.ChunkSize, options.ServerIds, ct)
                : BundleFileReader.ReadAsync(file, progress.Position, options.ChunkSize, options.ServerIds, ct);
            await foreach (var unit in units.ConfigureAwait(false))
            {
                var result = await CommitAsync(unit, ct).ConfigureAwait(false);
                // Committed: record it even if cancellation arrives now (it is honoured at the next read or send).
                var failures = unit.ReadFailures.AddRange(result.Failures);
                await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    foreach (var failure in failures)
                    {
                        await report.WriteAsync(failure, CancellationToken.None).ConfigureAwait(false);
                    }
                    await report.FlushAsync().ConfigureAwait(false);
                    progress = progress with
                    {
                        Position = unit.EndPosition,
                        Done = unit.EndOfFile,
                        Succeeded = progress.Succeeded + result.Succeeded,
                        Failed = progress.Failed + failures.Length,
                    };
                    checkpoint = checkpoint.With(file, progress);
                    await checkpoint.SaveAsync(options.CheckpointPath, CancellationToken.None).ConfigureAwait(false);
                    succeeded += result.Succeeded;
                    failed += failures.Length;
                    observer?.UnitDone(unit, result with { Failures = failures }, progress);
                }
                finally
                {
                    gate.Release();
                }
            }
        }).ConfigureAwait(false);
        await target.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return new ImportSummary(files.Count, skipped, succeeded, failed, earlierFailures, Stopwatch.GetElapsedTime(started));
    }

    private async Task<UnitResult> CommitAsync(ImportUnit unit, CancellationToken ct)
    {
        if (unit.Entries.IsEmpty)
        {
            return new UnitResult(0, []);
        }
        var isBatch = ImportEntries.Text(unit.Bundle, "type") == "batch";
        var reply = await SendAsync(JsonSerializer.SerializeToUtf8Bytes(unit.Bundle), ct).ConfigureAwait(false);
        if (isBatch)
        {
            return ReplyReader.Batch(unit, reply);
        }
        if (reply.Status is >= 200 and < 300)
        {
            return new UnitResult(unit.Entries.Length, []);
        }
        if (unit.Atomic)
        {
            return ReplyReader.Whole(unit, reply);
        }
        // A chunk is not a unit of meaning: store what is good, report each bad resource.
        unit.Bundle["type"] = "batch";
        var batch = await SendAsync(JsonSerializer.SerializeToUtf8Bytes(unit.Bundle), ct).ConfigureAwait(false);
        return ReplyReader.Batch(unit, batch);
    }

    private async Task<TargetReply> SendAsync(byte[] bundle, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var reply = await target.PostBundleAsync(bundle, ct).ConfigureAwait(false);
                // 409 with files side by side: two transactions raced to create a shared resource
                // (e.g. an Organization every bundle carries); nothing was written, so try again.
                var transient = reply.Status is 429 or 502 or 503 or 504 || (reply.Status == 409 && options.Parallelism > 1);
                if (!transient || attempt >= options.Retries)
                {
                    return reply;
                }
            }
            catch (Exception ex) when (IsTransient(ex, ct) && attempt < options.Retries)
            {
                // retried below; after the last attempt the exception stops the run (resumable)
            }
            await Task.Delay(options.RetryDelay * (1 << attempt), ct).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(Exception ex, CancellationToken ct) =>
        ex is HttpRequestException or IOException || (ex is TaskCanceledException && !ct.IsCancellationRequested);
}
