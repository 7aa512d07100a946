using System.CommandLine;
using System.Globalization;
using Meridian.Identity.Tokens;
using Meridian.Server;
using Meridian.Server.Protection;
using Meridian.Storage.Protection;
using Meridian.Storage.Records;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian keys</c>: master key files and key rotation for encryption at rest
/// (docs/encryption.md). Rotation works against the database directly (<c>--data</c> or
/// <c>--store postgres --connection</c>) while servers keep running: it only adds key rows
/// (and retires wraps nobody needs any more).
/// </summary>
internal static class KeysCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("keys", "Master key files and key rotation for encryption at rest.");
        command.Subcommands.Add(Generate(output, error));
        command.Subcommands.Add(List(output, error));
        command.Subcommands.Add(Rotate(output, error));
        return command;
    }

    private static Command Generate(TextWriter output, TextWriter error)
    {
        var file = new Option<string>("--out") { Description = "New key file (created owner-only; never overwritten)", Required = true };
        var command = new Command("generate", "Write a new random 256-bit master key (base64) to a file.") { file };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            try
            {
                var key = MasterKey.Generate();
                key.WriteNewFile(path);
                await output.WriteLineAsync($"master key {key.Id} written to {path}").ConfigureAwait(false);
                return 0;
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"meridian keys generate: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    private sealed record StoreOptionsSet(Option<string?> Data, Option<string?> Store, Option<string?> Connection, Option<string?> MasterKeyFile);

    private static StoreOptionsSet AddStoreOptions(Command command)
    {
        var set = new StoreOptionsSet(
            new Option<string?>("--data") { Description = "Directory of the SQLite store (default ./data)" },
            new Option<string?>("--store") { Description = "sqlite (default) or postgres" },
            new Option<string?>("--connection") { Description = "PostgreSQL connection string" },
            new Option<string?>("--master-key-file") { Description = "The current master key (default: MERIDIAN_MASTER_KEY, or the SQLite data directory's master.key)" });
        command.Options.Add(set.Data);
        command.Options.Add(set.Store);
        command.Options.Add(set.Connection);
        command.Options.Add(set.MasterKeyFile);
        return set;
    }

    private static MeridianServerOptions ServerOptions(ParseResult parse, StoreOptionsSet set) => new()
    {
        Store = parse.GetValue(set.Store) ?? "sqlite",
        Data = parse.GetValue(set.Data) ?? "./data",
        Connection = parse.GetValue(set.Connection),
        Encryption = { MasterKeyFile = parse.GetValue(set.MasterKeyFile) },
    };

    private static Command List(TextWriter output, TextWriter error)
    {
        var command = new Command("list", "List the data keys of every tenant and the master keys wrapping them.");
        var set = AddStoreOptions(command);
        command.SetAction((parse, ct) => WithStoreAsync(parse, set, error, "list", async (admin, _) =>
        {
            foreach (var group in (await admin.ListDataKeysAsync(ct).ConfigureAwait(false)).GroupBy(k => (k.Tenant, k.KeyId)))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{group.Key.Tenant}\t#{group.Key.KeyId}\t{group.Min(k => k.CreatedAt):O}\t{string.Join(",", group.Select(k => k.MasterKeyId))}")).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    private static Command Rotate(TextWriter output, TextWriter error)
    {
        var newMaster = new Option<string?>("--new-master-key-file") { Description = "Re-wrap every data key under this master key too (step 1 of a master key rotation)" };
        var tenants = new Option<string[]>("--tenant") { Description = "Create the next data key of this tenant (repeatable); new writes use it", AllowMultipleArgumentsPerToken = true };
        var allTenants = new Option<bool>("--all-tenants") { Description = "Create the next data key of every tenant" };
        var retire = new Option<string?>("--retire-master-key-id") { Description = "Remove the wraps under this master key id (after every server runs with the new key)" };
        var command = new Command("rotate", "Rotate keys while servers run: re-wrap data keys under a new master key, add tenants' next data keys, retire an old master key.")
        {
            newMaster, tenants, allTenants, retire,
        };
        var set = AddStoreOptions(command);
        command.SetAction((parse, ct) => WithStoreAsync(parse, set, error, "rotate", async (admin, current) =>
        {
            var nextFile = parse.GetValue(newMaster);
            var tenantList = parse.GetValue(tenants) ?? [];
            var retireId = parse.GetValue(retire);
            if (nextFile is null && tenantList.Length == 0 && !parse.GetValue(allTenants) && retireId is null)
            {
                await error.WriteLineAsync("meridian keys rotate: nothing to do: give --new-master-key-file, --tenant, --all-tenants or --retire-master-key-id").ConfigureAwait(false);
                return 2;
            }
            MasterKey? next = null;
            if (nextFile is not null && !MasterKey.TryLoad(nextFile, out next, out var loadError))
            {
                await error.WriteLineAsync("meridian keys rotate: " + loadError).ConfigureAwait(false);
                return 2;
            }
            if (next is not null)
            {
                var rewrap = await KeyRotation.RewrapAsync(admin, current, next, cancellationToken: ct).ConfigureAwait(false);
                if (!await ReportAsync(rewrap, $"re-wrapped {rewrap.Changed} data key(s) under {next.Id} (from {current.Id})", output, error).ConfigureAwait(false))
                {
                    return 1;
                }
                // The token-signing keys are sealed under the master key too (docs/encryption.md).
                var signing = await SigningKeyRotation.RewrapAsync((ISystemRecordStore)admin, current, next, ct).ConfigureAwait(false);
                if (!await ReportAsync(signing, $"re-wrapped {signing.Changed} signing key(s) under {next.Id}", output, error).ConfigureAwait(false))
                {
                    return 1;
                }
            }
            var targets = parse.GetValue(allTenants) ? await KeyRotation.TenantsAsync(admin, ct).ConfigureAwait(false) : tenantList;
            foreach (var tenant in targets)
            {
                // Wrapped under every master key servers may be running with during the rotation.
                MasterKey[] masters = next is null ? [current] : [current, next];
                var created = await KeyRotation.NewDataKeyAsync(admin, tenant, masters, cancellationToken: ct).ConfigureAwait(false);
                if (!await ReportAsync(created, $"tenant {tenant}: new data key added", output, error).ConfigureAwait(false))
                {
                    return 1;
                }
            }
            if (retireId is not null)
            {
                if (retireId == current.Id)
                {
                    await error.WriteLineAsync($"meridian keys rotate: {retireId} is the master key given as current; retire the old key with the new one as --master-key-file").ConfigureAwait(false);
                    return 2;
                }
                // Signing keys first: it refuses before changing anything when a key would be left without a wrap.
                var signingRetired = await SigningKeyRotation.RetireAsync((ISystemRecordStore)admin, retireId, ct).ConfigureAwait(false);
                if (!await ReportAsync(signingRetired, $"removed {signingRetired.Changed} signing key wrap(s) under {retireId}", output, error).ConfigureAwait(false))
                {
                    return 1;
                }
                var retired = await KeyRotation.RetireMasterAsync(admin, retireId, ct).ConfigureAwait(false);
                if (!await ReportAsync(retired, $"removed {retired.Changed} wrap(s) under {retireId}", output, error).ConfigureAwait(false))
                {
                    return 1;
                }
            }
            return 0;
        }, ct));
        return command;
    }

    private static async Task<bool> ReportAsync(KeyOperationResult result, string success, TextWriter output, TextWriter error)
    {
        if (result.Succeeded)
        {
            await output.WriteLineAsync(success).ConfigureAwait(false);
            return true;
        }
        foreach (var problem in result.Problems)
        {
            await error.WriteLineAsync("meridian keys rotate: " + problem).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Opens the store with the current master key (which must open every data key:
    /// the same start-up check as the server), runs <paramref name="body"/>, closes it.</summary>
    private static async Task<int> WithStoreAsync(ParseResult parse, StoreOptionsSet set, TextWriter error, string name, Func<IDataKeyStore, MasterKey, Task<int>> body, CancellationToken ct)
    {
        var options = ServerOptions(parse, set);
        try
        {
            var current = MeridianStoreOpener.ConfiguredMasterKey(options);
            if (current is null)
            {
                await error.WriteLineAsync($"meridian keys {name}: no master key: give --master-key-file or set MERIDIAN_MASTER_KEY").ConfigureAwait(false);
                return 2;
            }
            var opened = await MeridianStoreOpener.OpenAsync(options, ct).ConfigureAwait(false);
            try
            {
                return await body((IDataKeyStore)opened.Store, current).ConfigureAwait(false);
            }
            finally
            {
                if (opened.Store is IAsyncDisposable d)
                {
                    await d.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync($"meridian keys {name}: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
            return 2;
        }
    }
}
