using System.CommandLine;
using System.Globalization;
using Meridian.Api;
using Meridian.Cli.Import;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian import PATH...</c>: FHIR Bundles and NDJSON (optionally gzipped), files or
/// directories, into a running server (<c>--server</c>) or straight into a store through the
/// in-process FhirApi. Resumable: rerunning the same command continues after the last commit.
/// Exit codes: 0 all stored, 1 some resources failed (see the report), 2 bad usage,
/// 3 interrupted or the target unreachable (rerun to resume).
/// </summary>
internal static class ImportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore, Description = "Files or directories: *.json, *.ndjson, *.jsonl, optionally .gz" };
        var server = new Option<string?>("--server") { Description = "FHIR base URL of a running server, e.g. http://127.0.0.1:8080/fhir" };
        var data = new Option<string?>("--data") { Description = "Directory of the SQLite store (default ./data)" };
        var store = new Option<string?>("--store") { Description = "sqlite (default) or postgres" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string" };
        var report = new Option<string?>("--report") { Description = "Error report, NDJSON (default ./meridian-import-errors.ndjson)" };
        var state = new Option<string?>("--state") { Description = "Directory of the resume checkpoint (default: the report's directory)" };
        var chunk = new Option<int?>("--chunk") { Description = "Resources per store transaction for NDJSON and collection Bundles (default 500)" };
        var serverIds = new Option<bool>("--server-ids") { Description = "POST resources as given (server-assigned ids) instead of idempotent PUTs by id" };
        var parallel = new Option<int?>("--parallel") { Description = "Files imported at once (default 1)" };
        var restart = new Option<bool>("--restart") { Description = "Ignore the checkpoint and import everything again" };
        var masterKey = new Option<string?>("--master-key-file") { Description = "Master key of an encrypted store (default: MERIDIAN_MASTER_KEY, or the SQLite data directory's master.key)" };
        var command = new Command("import", "Load FHIR Bundles and NDJSON into a Meridian server or store (resumable).")
        {
            paths, server, data, store, connection, report, state, chunk, serverIds, parallel, restart, masterKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (files, problems) = ImportSources.Discover(parse.GetValue(paths) ?? []);
            var chunkSize = parse.GetValue(chunk) ?? 500;
            var storeKind = parse.GetValue(store) ?? "sqlite";
            var serverUrl = parse.GetValue(server);
            var parallelism = parse.GetValue(parallel) ?? 1;
            if (parallelism < 1)
            {
                problems = [.. problems, "--parallel must be at least 1"];
            }
            if (chunkSize < 1)
            {
                problems = [.. problems, "--chunk must be at least 1"];
            }
            if (storeKind is not ("sqlite" or "postgres"))
            {
                problems = [.. problems, "--store must be sqlite or postgres"];
            }
            if (storeKind == "postgres" && string.IsNullOrEmpty(parse.GetValue(connection)))
            {
                problems = [.. problems, "--store postgres needs --connection"];
            }
            if (serverUrl is not null && (parse.GetValue(data) is not null || parse.GetValue(store) is not null))
            {
                problems = [.. problems, "--server and --data/--store exclude each other"];
            }
            Uri? baseUrl = null;
            if (serverUrl is not null && !Uri.TryCreate(serverUrl, UriKind.Absolute, out baseUrl))
            {
                problems = [.. problems, $"--server '{serverUrl}' is not an absolute URL"];
            }
            if (problems.Count > 0)
            {
                foreach (var p in problems)
                {
                    await error.WriteLineAsync("meridian import: " + p).ConfigureAwait(false);
                }
                return 2;
            }
            var reportPath = Path.GetFullPath(parse.GetValue(report) ?? "meridian-import-errors.ndjson");
            var stateDir = Path.GetFullPath(parse.GetValue(state) ?? Path.GetDirectoryName(reportPath)!);
            Directory.CreateDirectory(stateDir);
            Directory.CreateDirectory(Path.GetDirectoryName(reportPath)!);
            var options = new ImportOptions(Path.Combine(stateDir, ImportCheckpoint.FileName), reportPath)
            {
                ChunkSize = chunkSize,
                ServerIds = parse.GetValue(serverIds),
                Restart = parse.GetValue(restart),
                Parallelism = parallelism,
            };
            try
            {
                ImportSummary summary;
                if (baseUrl is not null)
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
                    // A server with authentication needs a bearer token (docs/authentication.md); from the environment, never a flag (ps shows flags).
                    if (Environment.GetEnvironmentVariable("MERIDIAN_TOKEN") is { Length: > 0 } token)
                    {
                        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                    }
                    summary = await RunAsync(new HttpTarget(http, baseUrl), files, options, output, ct).ConfigureAwait(false);
                }
                else
                {
                    var (opened, identity) = await OpenStoreAsync(storeKind, parse.GetValue(data) ?? "data", parse.GetValue(connection), parse.GetValue(masterKey), ct).ConfigureAwait(false);
                    await using var owned = opened.ConfigureAwait(false);
                    Func<CancellationToken, Task>? analyze = storeKind == "postgres" ? c => PostgresStatistics.AnalyzeAsync(parse.GetValue(connection)!, c) : null;
                    // Audited like a POST to the server: each committed chunk carries its AuditEvent (ImportAudit).
                    var audit = new ImportAudit((IFhirStore)opened);
                    await using var drained = audit.ConfigureAwait(false);
                    var target = new InProcessTarget(new FhirApi(audit.Store), identity, analyze) { Interceptor = audit.Interceptor, Caller = ImportAudit.Operator() };
                    summary = await RunAsync(target, files, options, output, ct).ConfigureAwait(false);
                }
                await output.WriteLineAsync(Describe(summary, reportPath)).ConfigureAwait(false);
                return summary.AnyFailed ? 1 : 0;
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync("meridian import: interrupted; run the same command again to resume after the last commit.").ConfigureAwait(false);
                return 3;
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                await error.WriteLineAsync("meridian import: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
                return 2;
            }
            catch (HttpRequestException ex)
            {
                await error.WriteLineAsync($"meridian import: the server is unreachable ({ex.Message}); run the same command again to resume.").ConfigureAwait(false);
                return 3;
            }
        });
        return command;
    }

    private static async Task<ImportSummary> RunAsync(IImportTarget target, IReadOnlyList<ImportFile> files, ImportOptions options, TextWriter output, CancellationToken ct)
    {
        // A bar only on a real terminal; tests, pipes and logs get one plain line per commit.
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            return await new ImportRunner(target, options, new LineObserver(output)).RunAsync(files, ct).ConfigureAwait(false);
        }
        var total = files.Sum(f => f.Length);
        return await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("importing", maxValue: Math.Max(1, total));
                var summary = await new ImportRunner(target, options, new ProgressBarObserver(task, total)).RunAsync(files, ct).ConfigureAwait(false);
                task.Value = task.MaxValue;
                return summary;
            }).ConfigureAwait(false);
    }

    private static async Task<(IAsyncDisposable Store, string Identity)> OpenStoreAsync(string kind, string data, string? connection, string? masterKeyFile, CancellationToken ct)
    {
        string identity;
        if (kind == "postgres")
        {
            identity = InProcessTarget.PostgresIdentity(connection!);
        }
        else
        {
            Directory.CreateDirectory(data);
            var path = Path.Combine(Path.GetFullPath(data), "meridian.db");
            identity = "sqlite:" + path;
        }
        // Opened as the server opens it: same encryption at rest (master key from
        // MERIDIAN_MASTER_KEY or the data directory's key file) and the same key check.
        var opened = await Meridian.Server.Protection.MeridianStoreOpener.OpenAsync(new Meridian.Server.MeridianServerOptions { Store = kind, Data = data, Connection = connection, Encryption = { MasterKeyFile = masterKeyFile } }, ct).ConfigureAwait(false);
        return ((IAsyncDisposable)opened.Store, identity);
    }

    private static string Describe(ImportSummary s, string reportPath)
    {
        var rate = s.Elapsed.TotalSeconds > 0 ? s.Succeeded / s.Elapsed.TotalSeconds : 0;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"Imported {s.Files} files ({s.FilesSkipped} done earlier): {s.Succeeded} resources stored, {s.Failed} failed in {s.Elapsed.TotalSeconds:0.0} s ({rate:0} resources/s).");
        if (s.EarlierFailures > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" {s.EarlierFailures} failures from earlier runs stand.");
        }
        return s.AnyFailed ? text + " Errors: " + reportPath : text;
    }
}
