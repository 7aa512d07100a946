namespace Meridian.Audit.Tests.Support;

/// <summary>A <c>meridian serve</c> child process, so a test can kill it with SIGKILL mid-write as a crash would.</summary>
internal sealed class ChildServer : IDisposable
{
    private const string Banner = "Meridian FHIR R4 server: ";
    private readonly MeridianChildProcess _process;

    private ChildServer(MeridianChildProcess process) => _process = process;

    /// <summary>The FHIR base, e.g. http://127.0.0.1:41234/fhir.</summary>
    public string Root => _process.Banners[Banner].Split(' ')[0];

    public static async Task<ChildServer> StartAsync(IEnumerable<string> storeArguments) =>
        new(await MeridianChildProcess.StartAsync(
            ["--port", "0", "--insecure-dev", .. storeArguments],
            // Plaintext, like the in-process fixture: the crash test reads the JSON rows directly.
            new Dictionary<string, string> { ["MERIDIAN_ENCRYPTION__MODE"] = "off" },
            Banner));

    /// <summary>SIGKILL: no shutdown, no flush, as a crash.</summary>
    public void KillHard() => _process.KillHard();

    public void Dispose() => _process.Dispose();
}
