using Meridian.Cli.Tests.Import.Support;
using Meridian.Server;
using Meridian.Server.Protection;
using Meridian.Storage;
using Meridian.Storage.Relational;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Tests;

/// <summary>
/// The tools that open the store directly (<c>import --data</c>, <c>keys</c>, <c>audit</c>,
/// <c>hl7 errors</c>) get the same <c>Meridian:Storage:…</c> settings as the server: from their
/// options, overridden by the environment's configuration, and validated the same way.
/// </summary>
public sealed class StoreOpenerSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Storage_settings_from_the_options_reach_the_store()
    {
        var options = new MeridianServerOptions { Store = "sqlite", Data = _dir.File("db"), InsecureDev = true };
        options.Storage.DeferredIndexWait = TimeSpan.FromSeconds(7);
        options.Storage.DeferredIndexDelay = TimeSpan.FromMilliseconds(3);

        var store = await OpenAsync(options, []);

        Assert.Equal(TimeSpan.FromSeconds(7), store.DeferredIndexWait);
        Assert.Equal(TimeSpan.FromMilliseconds(3), store.DeferredIndexDelay);
    }

    [Fact]
    public async Task The_environment_overrides_storage_settings()
    {
        var options = new MeridianServerOptions { Store = "sqlite", Data = _dir.File("db"), InsecureDev = true };

        var store = await OpenAsync(options, new() { ["Meridian:Storage:DeferredIndexWait"] = "00:00:42", ["Meridian:Storage:DeferredIndexDelay"] = "00:00:00.250" });

        Assert.Equal(TimeSpan.FromSeconds(42), store.DeferredIndexWait);
        Assert.Equal(TimeSpan.FromMilliseconds(250), store.DeferredIndexDelay);
    }

    [Fact]
    public async Task Invalid_storage_settings_from_the_environment_are_refused()
    {
        var options = new MeridianServerOptions { Store = "sqlite", Data = _dir.File("db"), InsecureDev = true };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => OpenAsync(options, new() { ["Meridian:Storage:DeferredIndexWait"] = "00:00:00" }));

        Assert.Contains("DeferredIndexWait", error.Message, StringComparison.Ordinal);
    }

    private static async Task<StoreOptions> OpenAsync(MeridianServerOptions options, Dictionary<string, string?> environment)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(environment).Build();
        var opened = await MeridianStoreOpener.OpenAsync(options, configuration);
        await using var owned = ((IAsyncDisposable)opened.Store).ConfigureAwait(false);
        var relational = opened.Store.Find<RelationalFhirStore>();
        Assert.NotNull(relational);
        return relational.Options;
    }
}
