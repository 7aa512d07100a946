using System.Diagnostics;

namespace Meridian.Testing;

/// <summary>
/// A real <c>meridian serve</c> child process (the built meridian.dll beside the test assembly),
/// so a crash test can SIGKILL it mid-write as a power cut or OOM kill would. Started with
/// arguments and environment of the caller's choosing; ready once stdout has printed every
/// banner asked for (the values after each banner are returned). Both pipes are drained for the
/// child's whole life so it never blocks on a full pipe.
/// </summary>
public sealed class MeridianChildProcess : IDisposable
{
    private readonly Process _process;

    private MeridianChildProcess(Process process, IReadOnlyDictionary<string, string> banners)
    {
        _process = process;
        Banners = banners;
    }

    /// <summary>Each requested banner prefix → the rest of the first line that starts with it.</summary>
    public IReadOnlyDictionary<string, string> Banners { get; }

    public static async Task<MeridianChildProcess> StartAsync(
        IEnumerable<string> serveArguments, IReadOnlyDictionary<string, string> environment, params string[] banners)
    {
        ArgumentNullException.ThrowIfNull(serveArguments);
        ArgumentNullException.ThrowIfNull(environment);
        var dll = Path.Combine(AppContext.BaseDirectory, "meridian.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("serve");
        foreach (var a in serveArguments)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        var process = Process.Start(info)!;
        try
        {
            return new MeridianChildProcess(process, await WaitForBannersAsync(process, banners));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> WaitForBannersAsync(Process process, string[] banners)
    {
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 200 && found.Count < banners.Length; i++)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                break;
            }
            foreach (var banner in banners)
            {
                // Kestrel may print one line per address; the loopback one is what tests talk to.
                if (!found.ContainsKey(banner) && line.StartsWith(banner, StringComparison.Ordinal) && line.Contains("127.0.0.1", StringComparison.Ordinal))
                {
                    found[banner] = line[banner.Length..];
                }
            }
        }
        if (found.Count < banners.Length)
        {
            throw new InvalidOperationException($"the child server did not print: {string.Join(", ", banners.Where(b => !found.ContainsKey(b)))}");
        }
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is not null)
            {
            }
        });
        return found;
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
