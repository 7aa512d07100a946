using Meridian.Storage;
using Meridian.Storage.Protection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Protection;

/// <summary>
/// Opens the store with encryption at rest decided explicitly (docs/encryption.md): which
/// master key, or why none, and a start-up check that the database and the key agree — a wrong
/// master key, an encrypted database opened without one, or an unencrypted one opened with one
/// stops the server before it listens, instead of failing on the first read.
/// </summary>
internal static class ServerEncryption
{
    /// <summary>Name of the generated key file of the embedded store, inside its data directory.</summary>
    public const string DefaultKeyFile = "master.key";

    /// <param name="Master">The master key the store encrypts with (also seals the token-signing keys); null when plaintext.</param>
    public sealed record Opened(IFhirStore Store, IReadOnlyList<string> Warnings, string? MasterKeyId, MasterKey? Master = null);

    public static async Task<Opened> OpenStoreAsync(MeridianServerOptions options, IConfiguration configuration, StoreOptions? storeOptions, CancellationToken ct)
    {
        var settings = options.Encryption;
        var explicitKey = ResolveConfiguredKey(settings, configuration);
        var warnings = new List<string>();

        // Look at the database first, unencrypted: does it hold resources, data keys?
        var probe = StoreFactory.Create(options);
        bool hasResources, hasKeys;
        try
        {
            await probe.MigrateAsync(ct).ConfigureAwait(false);
            var admin = (IDataKeyStore)probe;
            hasKeys = !(await admin.ListDataKeysAsync(ct).ConfigureAwait(false)).IsEmpty;
            hasResources = await admin.HasResourcesAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await DisposeAsync(probe).ConfigureAwait(false);
        }

        MasterKey? master = explicitKey;
        if (settings.Mode == "off")
        {
            master = null;
        }
        else if (master is null && settings.Mode == "on")
        {
            throw Refuse("Encryption:Mode on needs a master key: --master-key-file or MERIDIAN_MASTER_KEY (base64 of 32 random bytes).");
        }
        else if (master is null && options.Store == "sqlite")
        {
            var file = Path.Combine(Path.GetFullPath(options.Data), DefaultKeyFile);
            if (File.Exists(file))
            {
                master = Load(file);
            }
            else if (hasResources && !hasKeys)
            {
                warnings.Add("encryption at rest is OFF: this SQLite database was written unencrypted before encryption existed; export and re-import it to encrypt it.");
            }
            else
            {
                master = MasterKey.Generate();
                master.WriteNewFile(file);
            }
            if (master is not null)
            {
                warnings.Add($"encryption at rest uses the master key generated in {file} (owner-only), beside the database: it protects copies of the database file, not of the whole data directory. In production keep the key elsewhere (--master-key-file, MERIDIAN_MASTER_KEY).");
            }
        }
        else if (master is null && !options.InsecureDev)
        {
            throw Refuse("PostgreSQL needs a master key for encryption at rest: --master-key-file or MERIDIAN_MASTER_KEY (base64 of 32 random bytes); plaintext only with --insecure-dev.");
        }

        if (master is null)
        {
            if (hasKeys)
            {
                throw Refuse("this database is encrypted at rest: start the server with its master key (--master-key-file or MERIDIAN_MASTER_KEY).");
            }
            if (warnings.Count == 0)
            {
                warnings.Add("encryption at rest is OFF (--insecure-dev): resource JSON is stored in plaintext. Never use this with real patient data.");
            }
            return new Opened(StoreFactory.Create(options, storeOptions), warnings, null);
        }

        var protector = new EnvelopeProtector(master, TimeSpan.FromSeconds(settings.KeyRefreshSeconds));
        var store = StoreFactory.Create(options, (storeOptions ?? StoreOptions.Default) with { Protector = protector });
        var problems = await protector.VerifyAsync((IDataKeyStore)store, ct).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            await DisposeAsync(store).ConfigureAwait(false);
            throw Refuse(problems.ToArray());
        }
        return new Opened(store, warnings, master.Id, master);
    }

    /// <summary>The master key from Encryption:MasterKeyFile or MERIDIAN_MASTER_KEY (which the
    /// environment mapping turns into <c>Meridian:MASTER_KEY</c>); null when neither is set.</summary>
    internal static MasterKey? ResolveConfiguredKey(EncryptionSettings settings, IConfiguration configuration)
    {
        if (settings.MasterKeyFile is { Length: > 0 } file)
        {
            return Load(file);
        }
        if (configuration[MeridianServerOptions.Section + ":MASTER_KEY"] is { Length: > 0 } text)
        {
            return MasterKey.TryParse(text, out var key, out var error) ? key : throw Refuse("MERIDIAN_MASTER_KEY: " + error);
        }
        return null;
    }

    private static MasterKey Load(string file) =>
        MasterKey.TryLoad(file, out var key, out var error) ? key : throw Refuse(error);

    private static OptionsValidationException Refuse(params string[] problems) =>
        new(MeridianServerOptions.Section, typeof(MeridianServerOptions), problems);

    private static async ValueTask DisposeAsync(IFhirStore store)
    {
        if (store is IAsyncDisposable d)
        {
            await d.DisposeAsync().ConfigureAwait(false);
        }
    }
}
