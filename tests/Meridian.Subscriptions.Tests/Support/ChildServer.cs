using System.Diagnostics;

namespace Meridian.Subscriptions.Tests.Support;

/// <summary>A <c>meridian serve</c> child process (the built meridian.dll beside the tests), so a
/// test can kill it with SIGKILL mid-delivery as a crash would (same approach as Meridian.Audit.Tests).</summary>
internal sealed class ChildServer : IDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, string root)
    {
        _process = process;
        Root = root;
    }

    /// <summary>The FHIR base, e.g. http://127.0.0.1:41234/fhir.</summary>
    public string Root { get; }

    public static async Task<ChildServer> StartAsync(IEnumerable<string> storeArguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "meridian.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[dll, "serve", "--port", "0", "--insecure-dev", .. storeArguments])
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["MERIDIAN_ENCRYPTION__MODE"] = "off";
        info.Environment["MERIDIAN_EVENTS__POLLINTERVAL"] = "50ms";
        info.Environment["MERIDIAN_SUBSCRIPTIONS__INITIALBACKOFF"] = "50ms";
        info.Environment["MERIDIAN_SUBSCRIPTIONS__MAXBACKOFF"] = "300ms";
        var process = Process.Start(info)!;
        try
        {
            return await WaitForAddressAsync(process);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static async Task<ChildServer> WaitForAddressAsync(Process process)
    {
        process.ErrorDataReceived += (_, _) => { }; // drained so the child never blocks on a full pipe
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        const string banner = "Meridian FHIR R4 server: ";
        for (var i = 0; i < 100; i++)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                break;
            }
            if (line.StartsWith(banner, StringComparison.Ordinal) && line.Contains("127.0.0.1", StringComparison.Ordinal))
            {
                // Keep draining stdout so the child never blocks on a full pipe.
                _ = Task.Run(async () =>
                {
                    while (await process.StandardOutput.ReadLineAsync() is not null)
                    {
                    }
                });
                return new ChildServer(process, line[banner.Length..].Split(' ')[0]);
            }
        }
        throw new InvalidOperationException("the child server did not report its address");
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a crash.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            KillHard();
        }
        _process.Dispose();
    }
}
