using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// A broker node of a test's own, from scripts/rabbitmq-test-broker.sh, for tests that stop
/// and restart it: restarting the shared broker would disturb every other test running at
/// the same time. Deleted on dispose.
/// </summary>
internal sealed partial class PrivateBroker : IAsyncDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(6);
    private readonly string _script;
    private readonly string _dir;

    private PrivateBroker(string script, string dir, Uri uri) => (_script, _dir, Uri) = (script, dir, uri);

    public Uri Uri { get; }

    public static async Task<PrivateBroker> StartAsync()
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "rabbitmq-test-broker.sh");
        var output = await RunAsync(script, "start");
        var dir = ExportedValue().Matches(output).Single(m => m.Groups[1].Value == "MERIDIAN_RABBITMQ_DIR").Groups[2].Value;
        var uri = ExportedValue().Matches(output).Single(m => m.Groups[1].Value == "MERIDIAN_TEST_RABBITMQ").Groups[2].Value;
        return new PrivateBroker(script, dir, new Uri(uri));
    }

    /// <summary>Stops the node (cleanly, or with kill -9) and starts it again on the same data and port.</summary>
    public Task RestartAsync(bool kill = false) => kill ? RunAsync(_script, "restart", "--kill", _dir) : RunAsync(_script, "restart", _dir);

    public async ValueTask DisposeAsync() => await RunAsync(_script, "stop", _dir);

    private static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run " + script);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Meridian.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Meridian.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("export (\\w+)='([^']*)'")]
    private static partial Regex ExportedValue();
}
