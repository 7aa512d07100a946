using System.Diagnostics;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>A <c>meridian serve --mllp-port 0</c> child process (the built meridian.dll beside the
/// tests), so a test can kill it with SIGKILL right after acknowledgments, as a crash would.</summary>
internal sealed class ChildServer : IDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, int mllpPort)
    {
        _process = process;
        MllpPort = mllpPort;
    }

    public int MllpPort { get; }

    public static async Task<ChildServer> StartAsync(IEnumerable<string> storeArguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "meridian.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[dll, "serve", "--port", "0", "--mllp-port", "0", "--insecure-dev", .. storeArguments])
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["MERIDIAN_ENCRYPTION__MODE"] = "off";
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { }; // drained so the child never blocks on a full pipe
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        const string banner = "Meridian HL7 v2 MLLP listener: ";
        for (var i = 0; i < 100; i++)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                break;
            }
            if (line.StartsWith(banner, StringComparison.Ordinal))
            {
                var port = int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                // Keep draining stdout so the child never blocks writing to it.
                _ = Task.Run(async () =>
                {
                    while (await process.StandardOutput.ReadLineAsync() is not null)
                    {
                    }
                });
                return new ChildServer(process, port);
            }
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the child server did not report its MLLP listener");
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
