using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Api.Tests.Protection;

/// <summary>One in-process server on a free port with the given settings (port 0 and
/// InsecureDev added: these tests are about transport and storage security, not auth).</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app) => _app = app;

    public IReadOnlyCollection<string> Addresses => MeridianServer.Addresses(_app);

    public string Root(string scheme) => Addresses.First(a => a.StartsWith(scheme + "://127.0.0.1:", StringComparison.Ordinal));

    public static async Task<RunningServer> StartAsync(Dictionary<string, string?> settings)
    {
        settings.TryAdd("Meridian:Port", "0");
        settings.TryAdd("Meridian:InsecureDev", "true");
        var app = await MeridianServer.BuildAsync([], settings);
        await app.StartAsync();
        return new RunningServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
