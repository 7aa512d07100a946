using System.ComponentModel;
using System.Diagnostics;

namespace Meridian.Api.Tests.Interop;

/// <summary>What one run of a Node.js interop script left behind.</summary>
public sealed record ScriptRun(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\nstderr:\n{StdErr}\nstdout:\n{StdOut}";
}

/// <summary>
/// Runs <c>tests/fhir-client-interop/client.js</c> with the machine's Node.js. Missing Node or
/// missing node_modules fail the test with what to do about it: the interop test must never pass
/// by not running.
/// </summary>
public static class InteropScript
{
    public const string Folder = "tests/fhir-client-interop";

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    public static async Task<ScriptRun> RunAsync(string baseUrl)
    {
        var dir = Path.Combine(RepositoryRoot(), Folder);
        var script = Path.Combine(dir, "client.js");
        Assert.True(File.Exists(script), $"{script} is missing");
        var package = Path.Combine(dir, "node_modules", "fhir-kit-client", "package.json");
        if (!File.Exists(package))
        {
            Assert.Fail($"fhir-kit-client is not installed ({package} missing): run `npm ci` in {Folder} (test.sh does this before the tests)");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(baseUrl);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Node.js (`node`) could not be started ({e.Message}): the FHIR client interop test needs Node.js 20 or later on PATH");
        }

        // Read both streams while the script runs so a full pipe cannot stall it.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within {s_timeout}; stderr so far:\n{await stderr}");
        }
        return new ScriptRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The checkout root: the first directory above the test binaries holding Meridian.slnx.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Meridian.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"Meridian.slnx not found above {AppContext.BaseDirectory}");
    }
}
