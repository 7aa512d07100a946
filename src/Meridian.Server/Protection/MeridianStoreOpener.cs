using Meridian.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Protection;

/// <summary>
/// Opens the store exactly as the server does — migrated, with the same encryption-at-rest
/// decision and start-up key check — for tools that work on the database directly
/// (<c>meridian import --data</c>, <c>meridian keys</c>). The master key comes from
/// <see cref="EncryptionSettings.MasterKeyFile"/>, <c>MERIDIAN_MASTER_KEY</c>, or the embedded
/// store's generated key file.
/// </summary>
public static class MeridianStoreOpener
{
    /// <exception cref="OptionsValidationException">Invalid settings, or a database and master key that do not match.</exception>
    public static Task<OpenedStore> OpenAsync(MeridianServerOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(options, new ConfigurationBuilder().AddInMemoryCollection(MeridianEnvironment.Read(Environment.GetEnvironmentVariables())).Build(), cancellationToken);

    /// <summary>Opens the store with <paramref name="configuration"/> standing in for the
    /// environment: its <c>Meridian:Storage:…</c> values override <paramref name="options"/>'
    /// (tools take no storage flags, so the environment is where a deployment sets them), and
    /// its master key settings are used as the server uses them.</summary>
    /// <exception cref="OptionsValidationException">Invalid settings, or a database and master key that do not match.</exception>
    public static async Task<OpenedStore> OpenAsync(MeridianServerOptions options, IConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.GetSection(MeridianServerOptions.Section + ":Storage").Bind(options.Storage);
        var validation = new MeridianServerOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(MeridianServerOptions.Section, typeof(MeridianServerOptions), validation.Failures);
        }
        // Same store options as the server: writes made by tools are audited and chained too,
        // and a search of AuditEvent waits for the deferred indexer as configured.
        var opened = await ServerEncryption.OpenStoreAsync(options, configuration, options.Storage.ApplyTo(AuditWiring.StoreOptions(TimeProvider.System)), cancellationToken).ConfigureAwait(false);
        return new OpenedStore(opened.Store, opened.Warnings, opened.MasterKeyId);
    }

    /// <summary>The configured master key (file or MERIDIAN_MASTER_KEY, else the embedded
    /// store's key file when it exists), or null.</summary>
    public static Storage.Protection.MasterKey? ConfiguredMasterKey(MeridianServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(MeridianEnvironment.Read(Environment.GetEnvironmentVariables())).Build();
        if (ServerEncryption.ResolveConfiguredKey(options.Encryption, configuration) is { } key)
        {
            return key;
        }
        var file = Path.Combine(Path.GetFullPath(options.Data), ServerEncryption.DefaultKeyFile);
        return options.Store == "sqlite" && Storage.Protection.MasterKey.TryLoad(file, out var generated, out _) ? generated : null;
    }
}

/// <param name="MasterKeyId">The master key the store encrypts with; null when it stores plaintext.</param>
public sealed record OpenedStore(IFhirStore Store, IReadOnlyList<string> Warnings, string? MasterKeyId);
