using System.CommandLine;
using System.Text;
using Meridian.Audit;
using Meridian.Hl7.Engine;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Server;
using Meridian.Server.Protection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian hl7 errors</c> (list or show the error store) and <c>meridian hl7 replay ID</c>,
/// working on the database directly (<c>--data DIR</c> or <c>--store postgres --connection …</c>).
/// Replay uses the sender configuration of appsettings.json / MERIDIAN_HL7__* as the server
/// would; a running server picks up replayed messages at its next rescan.
/// </summary>
internal static class Hl7StoreCommands
{
    private sealed record StoreFlags(Option<string?> Data, Option<string?> Store, Option<string?> Connection, Option<string?> MasterKey)
    {
        public static StoreFlags AddTo(Command command)
        {
            var flags = new StoreFlags(
                new Option<string?>("--data") { Description = "Directory of the SQLite store (default ./data)" },
                new Option<string?>("--store") { Description = "sqlite (default) or postgres" },
                new Option<string?>("--connection") { Description = "PostgreSQL connection string" },
                new Option<string?>("--master-key-file") { Description = "Master key of an encrypted store (default: MERIDIAN_MASTER_KEY or the data directory's key)" });
            command.Options.Add(flags.Data);
            command.Options.Add(flags.Store);
            command.Options.Add(flags.Connection);
            command.Options.Add(flags.MasterKey);
            return flags;
        }

        /// <summary>The server's options (appsettings.json, MERIDIAN_* environment) with the store flags applied.</summary>
        public MeridianServerOptions Options(ParseResult parse)
        {
            // As the server reads them: appsettings.json, then MERIDIAN_X__Y variables as Meridian:X:Y.
            var environment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            {
                if (e.Key is string key && key.StartsWith("MERIDIAN_", StringComparison.OrdinalIgnoreCase) && !key.StartsWith("MERIDIAN_TEST", StringComparison.OrdinalIgnoreCase))
                {
                    environment[MeridianServerOptions.Section + ":" + key["MERIDIAN_".Length..].Replace("__", ":", StringComparison.Ordinal)] = e.Value as string;
                }
            }
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
                .AddInMemoryCollection(environment)
                .Build();
            var options = new MeridianServerOptions();
            configuration.GetSection(MeridianServerOptions.Section).Bind(options);
            options.Store = parse.GetValue(Store) ?? (parse.GetValue(Connection) is null ? options.Store : "postgres");
            options.Data = parse.GetValue(Data) ?? options.Data;
            options.Connection = parse.GetValue(Connection) ?? options.Connection;
            options.Encryption.MasterKeyFile = parse.GetValue(MasterKey) ?? options.Encryption.MasterKeyFile;
            options.InsecureDev = true; // a tool on the database: the server's start-up refusals do not apply
            options.Hl7.MllpPort = null;
            return options;
        }
    }

    public static Command Errors(TextWriter output, TextWriter error)
    {
        var status = new Option<string>("--status") { Description = "open (default), replayed or all", DefaultValueFactory = _ => ErrorStatus.Open };
        var sender = new Option<string?>("--sender") { Description = "Only this sender (MSH-3|MSH-4)" };
        var text = new Option<string?>("--search") { Description = "Text in the reason, control id or message type" };
        var show = new Option<long?>("--show") { Description = "Print one error with its raw message" };
        var max = new Option<int>("--max") { Description = "At most this many (default 100)", DefaultValueFactory = _ => 100 };
        var command = new Command("errors", "List the HL7 v2 error store (messages refused at receipt or failed in processing).") { status, sender, text, show, max };
        var flags = StoreFlags.AddTo(command);
        command.SetAction(async (parse, ct) => await WithEngineAsync(flags.Options(parse), error, async engine =>
        {
            if (parse.GetValue(show) is { } id)
            {
                var one = await engine.Inbox.GetErrorAsync(id, ct).ConfigureAwait(false);
                if (one is null)
                {
                    await error.WriteLineAsync($"meridian hl7 errors: no error {id}").ConfigureAwait(false);
                    return 1;
                }
                await output.WriteLineAsync(Line(one)).ConfigureAwait(false);
                await output.WriteLineAsync(Encoding.UTF8.GetString(one.Raw).Replace("\r", Environment.NewLine, StringComparison.Ordinal)).ConfigureAwait(false);
                return 0;
            }
            var wanted = parse.GetValue(status);
            var errors = await engine.Inbox.ListErrorsAsync(new ErrorQuery
            {
                Status = wanted == "all" ? null : wanted,
                Sender = parse.GetValue(sender),
                Text = parse.GetValue(text),
                Max = parse.GetValue(max),
            }, ct).ConfigureAwait(false);
            foreach (var e in errors)
            {
                await output.WriteLineAsync(Line(e)).ConfigureAwait(false);
            }
            var counts = await engine.Inbox.CountsAsync(ct).ConfigureAwait(false);
            await output.WriteLineAsync($"{errors.Length} errors listed; inbox: " + string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"))).ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false));
        return command;
    }

    public static Command Replay(TextWriter output, TextWriter error)
    {
        var ids = new Argument<long[]>("ID") { Description = "Error store ids to replay", Arity = ArgumentArity.OneOrMore };
        var command = new Command("replay", "Replay errors after fixing their cause: processing failures are processed again, refused messages received again.") { ids };
        var flags = StoreFlags.AddTo(command);
        command.SetAction(async (parse, ct) => await WithEngineAsync(flags.Options(parse), error, async engine =>
        {
            var failures = 0;
            foreach (var id in parse.GetValue(ids)!)
            {
                var result = await engine.Replay.ReplayAsync(id, Environment.UserName, ct).ConfigureAwait(false);
                failures += result.Replayed ? 0 : 1;
                await output.WriteLineAsync($"{id}: {(result.Replayed ? "replayed" : "not replayed")}: {result.Message}").ConfigureAwait(false);
            }
            return failures == 0 ? 0 : 1;
        }).ConfigureAwait(false));
        return command;
    }

    private static string Line(Hl7Error e) =>
        $"{e.Id} {e.OccurredAt:yyyy-MM-dd'T'HH:mm:ss'Z'} {e.Status} {e.Stage} {e.Tenant} {e.Sender ?? "-"} {e.MessageType ?? "-"} {e.ControlId ?? "-"}: {e.Reason}";

    /// <summary>Opens the store as the server does and an engine without listener or processor (audit still on).</summary>
    private static async Task<int> WithEngineAsync(MeridianServerOptions options, TextWriter error, Func<Hl7Engine, Task<int>> work)
    {
        if (options.Store == "sqlite" && !File.Exists(Path.Combine(Path.GetFullPath(options.Data), "meridian.db")))
        {
            await error.WriteLineAsync($"meridian hl7: no Meridian database in {Path.GetFullPath(options.Data)}").ConfigureAwait(false);
            return 2;
        }
        OpenedStore opened;
        try
        {
            opened = await MeridianStoreOpener.OpenAsync(options).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync("meridian hl7: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
            return 2;
        }
        var store = (IAsyncDisposable)opened.Store;
        await using (store.ConfigureAwait(false))
        {
            var appender = new AuditAppender(opened.Store);
            await using (appender.ConfigureAwait(false))
            {
                var engine = Hl7Engine.Start(opened.Store, appender, options.Hl7);
                await using (engine.ConfigureAwait(false))
                {
                    return await work(engine).ConfigureAwait(false);
                }
            }
        }
    }
}
