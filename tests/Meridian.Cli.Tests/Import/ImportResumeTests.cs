using Meridian.Cli.Import;
using Meridian.Cli.Tests.Import.Support;

namespace Meridian.Cli.Tests.Import;

/// <summary>
/// Interrupted imports resume after the last commit and never duplicate: cancellation after N
/// chunk commits, and a crash between a commit and its checkpoint.
/// </summary>
public sealed class ImportResumeTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private ImportStore _store = null!;

    public async Task InitializeAsync() => _store = await ImportStore.SqliteAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose(); // after DisposeAsync: the store's files are closed

    private ImportOptions Options(bool serverIds = false) =>
        new(_dir.File(ImportCheckpoint.FileName), _dir.File("errors.ndjson")) { ChunkSize = 100, ServerIds = serverIds };

    private async Task<IReadOnlyList<ImportFile>> PatientsFileAsync(int count)
    {
        var path = await Inputs.WriteAsync(_dir.File("patients.ndjson.gz"), Inputs.PatientsNdjson(count), gzip: true);
        return ImportSources.Discover([path]).Files;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // server-assigned ids: only the checkpoint stands between a rerun and duplicates
    public async Task Cancelled_after_three_chunks_resumes_at_line_300_and_stores_each_patient_once(bool serverIds)
    {
        var files = await PatientsFileAsync(1000);
        using var cts = new CancellationTokenSource();
        var faulty = new FaultyTarget(_store.Target) { CancelAfter = 3, Cancellation = cts };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImportRunner(faulty, Options(serverIds)).RunAsync(files, cts.Token));
        Assert.Equal(300, await _store.CountAsync("Patient"));

        var (checkpoint, _) = await ImportCheckpoint.LoadAsync(_dir.File(ImportCheckpoint.FileName), _store.Target.Identity, default);
        var progress = checkpoint.For(files[0]);
        Assert.Equal((300L, false, 300L), (progress.Position, progress.Done, progress.Succeeded));

        var counting = new FaultyTarget(_store.Target);
        var summary = await new ImportRunner(counting, Options(serverIds)).RunAsync(files);
        Assert.Equal(7, counting.Posts); // lines 301..1000 only
        Assert.Equal(700, summary.Succeeded);
        Assert.Equal(1000, await _store.CountAsync("Patient"));
        Assert.Equal(1, await _store.CountAsync("Patient", ("family", "Fam1000")));

        var again = await new ImportRunner(counting, Options(serverIds)).RunAsync(files);
        Assert.Equal((1, 0L), (again.FilesSkipped, again.Succeeded));
        Assert.Equal(1000, await _store.CountAsync("Patient"));
    }

    [Fact]
    public async Task A_crash_between_commit_and_checkpoint_reruns_the_chunk_without_duplicates()
    {
        var files = await PatientsFileAsync(250);
        var crashing = new FaultyTarget(_store.Target) { CrashAfter = 2 };
        await Assert.ThrowsAsync<InvalidOperationException>(() => new ImportRunner(crashing, Options()).RunAsync(files));
        Assert.Equal(200, await _store.CountAsync("Patient")); // the second chunk committed, its checkpoint never written

        var summary = await new ImportRunner(_store.Target, Options()).RunAsync(files);
        Assert.Equal(150, summary.Succeeded); // chunk 2 again (idempotent PUTs by id) and chunk 3
        Assert.Equal(250, await _store.CountAsync("Patient"));
        Assert.Equal(1, await _store.CountAsync("Patient", ("_id", "p150")));
    }

    [Fact]
    public async Task Transaction_bundles_resume_by_file_and_a_rerun_after_a_crash_does_not_recreate_urn_uuid_resources()
    {
        var paths = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            paths.Add(await Inputs.WriteAsync(_dir.File($"b{i}.json"), Inputs.TransactionBundle($"0000000{i}-aaaa-bbbb-cccc-000000000000", $"0000000{i}-aaaa-bbbb-cccc-111111111111")));
        }
        var files = ImportSources.Discover([_dir.Path]).Files;
        var crashing = new FaultyTarget(_store.Target) { CrashAfter = 2 };
        await Assert.ThrowsAsync<InvalidOperationException>(() => new ImportRunner(crashing, Options()).RunAsync(files));
        Assert.Equal(2, await _store.CountAsync("Observation"));

        var summary = await new ImportRunner(_store.Target, Options()).RunAsync(files);
        Assert.Equal((1, 6L), (summary.FilesSkipped, summary.Succeeded));
        Assert.Equal(4, await _store.CountAsync("Patient"));
        Assert.Equal(4, await _store.CountAsync("Observation"));
        Assert.Equal(1, await _store.CountAsync("Observation", ("subject", "Patient/00000002-aaaa-bbbb-cccc-000000000000")));
    }

    [Fact]
    public async Task A_changed_file_starts_over_and_a_checkpoint_of_another_target_is_ignored()
    {
        var files = await PatientsFileAsync(150);
        await new ImportRunner(_store.Target, Options()).RunAsync(files);
        var changed = await PatientsFileAsync(160);
        var summary = await new ImportRunner(_store.Target, Options()).RunAsync(changed);
        Assert.Equal((0, 160L), (summary.FilesSkipped, summary.Succeeded));
        Assert.Equal(160, await _store.CountAsync("Patient"));

        await using var other = await ImportStore.SqliteAsync();
        var fresh = await new ImportRunner(other.Target, Options()).RunAsync(changed);
        Assert.Equal(160, fresh.Succeeded);
        Assert.Equal(160, await other.CountAsync("Patient"));
    }
}
