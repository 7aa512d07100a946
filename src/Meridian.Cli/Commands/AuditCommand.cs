using System.CommandLine;
using System.Data.Common;
using Meridian.Audit;
using Meridian.Server;
using Meridian.Server.Protection;
using Meridian.Storage;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian audit verify --data DIR | --store postgres --connection STRING [--tenant T]</c>:
/// recomputes each tenant's audit hash chain and reports the first break (changed, deleted,
/// inserted or reordered record). Exit codes: 0 every chain intact, 1 a chain is broken,
/// 2 bad usage or no store to verify.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string?>("--data") { Description = "Directory of the SQLite store (default ./data)" };
        var store = new Option<string?>("--store") { Description = "sqlite (default) or postgres" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string" };
        var tenant = new Option<string?>("--tenant") { Description = "Verify only this tenant (default: every tenant with audit records)" };
        var masterKey = new Option<string?>("--master-key-file") { Description = "Master key of an encrypted store (default: MERIDIAN_MASTER_KEY, or the SQLite data directory's master.key)" };
        var verify = new Command("verify", "Recompute the audit hash chains and report the first break of each.") { data, store, connection, tenant, masterKey };
        verify.SetAction(async (parse, ct) =>
        {
            var kind = parse.GetValue(store) ?? (parse.GetValue(connection) is null ? "sqlite" : "postgres");
            var problem = kind switch
            {
                "postgres" when string.IsNullOrEmpty(parse.GetValue(connection)) => "--store postgres needs --connection",
                "postgres" when parse.GetValue(data) is not null => "--data and --store postgres exclude each other",
                "postgres" or "sqlite" => null,
                _ => "--store must be sqlite or postgres",
            };
            var path = Path.Combine(Path.GetFullPath(parse.GetValue(data) ?? "data"), "meridian.db");
            if (problem is null && kind == "sqlite" && !File.Exists(path))
            {
                problem = $"no Meridian database at {path}";
            }
            if (problem is not null)
            {
                await error.WriteLineAsync("meridian audit verify: " + problem).ConfigureAwait(false);
                return 2;
            }
            // Opened as the server opens it: the records are hashed as plaintext, so an encrypted
            // store needs its master key to be verified.
            OpenedStore openedStore;
            try
            {
                openedStore = await MeridianStoreOpener.OpenAsync(new MeridianServerOptions
                {
                    Store = kind,
                    Data = parse.GetValue(data) ?? "data",
                    Connection = parse.GetValue(connection),
                    Encryption = { MasterKeyFile = parse.GetValue(masterKey) },
                    // A read-only check: the server's refusal to *write* plaintext to PostgreSQL
                    // without a master key does not apply. An encrypted store still needs its key.
                    InsecureDev = true,
                }, ct).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                await error.WriteLineAsync("meridian audit verify: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
                return 2;
            }
            var opened = (IAsyncDisposable)openedStore.Store;
            await using (opened.ConfigureAwait(false))
            {
                try
                {
                    return await VerifyAsync((IAuditChainReader)opened, parse.GetValue(tenant), output, ct).ConfigureAwait(false);
                }
                catch (DbException ex)
                {
                    await error.WriteLineAsync($"meridian audit verify: cannot read the audit chain ({ex.Message}); is the database migrated?").ConfigureAwait(false);
                    return 2;
                }
            }
        });
        return new Command("audit", "Inspect the tamper-evident audit trail.") { verify };
    }

    private static async Task<int> VerifyAsync(IAuditChainReader reader, string? only, TextWriter output, CancellationToken ct)
    {
        var tenants = only is not null ? [only] : await reader.ChainTenantsAsync(AuditTypes.Chained, ct).ConfigureAwait(false);
        var broken = 0;
        foreach (var t in tenants)
        {
            var report = await AuditChainVerifier.VerifyAsync(reader, t, ct).ConfigureAwait(false);
            if (report.Break is { } b)
            {
                broken++;
                await output.WriteLineAsync($"tenant {t}: BROKEN at record {b.Sequence}: {b.Kind.ToString().ToLowerInvariant()}: {b.Message} ({report.Verified} records verified before it)").ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync($"tenant {t}: intact, {report.Verified} records, head {report.HeadHash}").ConfigureAwait(false);
            }
        }
        if (tenants.Length == 0)
        {
            await output.WriteLineAsync("no audit records").ConfigureAwait(false);
        }
        return broken == 0 ? 0 : 1;
    }
}
