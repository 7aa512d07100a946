using System.Globalization;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>A <c>meridian serve --mllp-port 0</c> child process, so a test can kill it with SIGKILL
/// right after acknowledgments, as a crash would.</summary>
internal sealed class ChildServer : IDisposable
{
    private const string Banner = "Meridian HL7 v2 MLLP listener: ";
    private readonly MeridianChildProcess _process;

    private ChildServer(MeridianChildProcess process) => _process = process;

    public int MllpPort
    {
        get
        {
            var address = _process.Banners[Banner];
            return int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        }
    }

    public static async Task<ChildServer> StartAsync(IEnumerable<string> storeArguments) =>
        new(await MeridianChildProcess.StartAsync(
            ["--port", "0", "--mllp-port", "0", "--insecure-dev", .. storeArguments],
            new Dictionary<string, string>
            {
                ["MERIDIAN_ENCRYPTION__MODE"] = "off",
                // Received messages stay pending (no v2-to-FHIR mapping), so the test can list every
                // acknowledged one in the inbox; this test is about durable receipt, not mapping.
                ["MERIDIAN_HL7__PROCESS"] = "false",
            },
            Banner));

    /// <summary>A server that also maps what it receives (the built-in v2-to-FHIR mappings), claiming
    /// its work as <paramref name="nodeId"/> with a short lease, beside other servers on one database.</summary>
    public static async Task<ChildServer> StartProcessingAsync(IEnumerable<string> storeArguments, string nodeId, TimeSpan claimLease) =>
        new(await MeridianChildProcess.StartAsync(
            ["--port", "0", "--mllp-port", "0", "--insecure-dev", .. storeArguments],
            new Dictionary<string, string>
            {
                ["MERIDIAN_ENCRYPTION__MODE"] = "off",
                ["MERIDIAN_HL7__NODEID"] = nodeId,
                ["MERIDIAN_HL7__CLAIMLEASE"] = claimLease.ToString("c", CultureInfo.InvariantCulture),
            },
            Banner));

    /// <summary>SIGKILL: no shutdown, no flush, as a crash.</summary>
    public void KillHard() => _process.KillHard();

    public void Dispose() => _process.Dispose();
}
