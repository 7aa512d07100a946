using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api.Tests.Support;

namespace Meridian.Api.Tests.Limits;

/// <summary>
/// Oversized request lines and headers, and a too-slow upload, are answered as FHIR: 414, 431
/// and 408 with an OperationOutcome (Meridian's check sits just below Kestrel's own limits).
/// Beyond Kestrel's backstop the answer is Kestrel's bare one. Real TCP on 127.0.0.1.
/// </summary>
public sealed class LimitsOutcomeTests : IAsyncLifetime
{
    private ConfiguredServer? _server;

    public async Task InitializeAsync() =>
        _server = await ConfiguredServer.StartAsync(TestStore.Sqlite, new Dictionary<string, string?>
        {
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Limits:RateLimit:Enabled"] = "false",
            ["Meridian:Limits:MaxRequestHeadersTotalSize"] = "4096", // Kestrel: 5120
            ["Meridian:Limits:MaxRequestHeaderCount"] = "20",        // Kestrel: 28
            ["Meridian:Limits:MaxRequestLineSize"] = "1024",         // Kestrel: 2048
            ["Meridian:Limits:MinDataRateGracePeriod"] = "2s",
            ["Meridian:Limits:MinRequestBodyBytesPerSecond"] = "1000",
        });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private FhirClient Api => new(_server!.Http, _server.Root + "/fhir");

    private static void AssertOutcome(Reply reply, int status, string code)
    {
        Assert.True(reply.Code == status, reply.ToString());
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(code, reply.Json["issue"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Headers_over_the_limit_get_431_with_an_operation_outcome()
    {
        Assert.Equal(200, (await Api.GetAsync("metadata", ("X-Fits", new string('a', 3000)))).Code);
        AssertOutcome(await Api.GetAsync("metadata", ("X-Big", new string('a', 4300))), 431, "too-costly");
        AssertOutcome(await Api.GetAsync("metadata", [.. Enumerable.Range(0, 22).Select(i => ("X-H" + i, "v"))]), 431, "too-costly");
        // Beyond Kestrel's backstop, Kestrel answers while parsing: still 431, without a body.
        Assert.Equal(431, (await Api.GetAsync("metadata", ("X-Huge", new string('a', 8000)))).Code);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_gets_414_with_an_operation_outcome()
    {
        Assert.Equal(200, (await Api.GetAsync("Patient?name=" + new string('a', 800))).Code);
        AssertOutcome(await Api.GetAsync("Patient?name=" + new string('a', 1500)), 414, "too-costly");
        Assert.Equal(414, (await Api.GetAsync("Patient?name=" + new string('a', 3000))).Code); // Kestrel's own
    }

    [Fact]
    public async Task A_too_slow_upload_gets_408_with_an_operation_outcome_and_the_connection_closes()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", _server!.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n{\"resourceType\""));
        // ...and nothing more. Read the answer until the server closes the connection.
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            for (var reads = 0; reads < 1000; reads++)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token);
                if (n == 0)
                {
                    break;
                }
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // reset after the answer: closed too
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var outcome = JsonNode.Parse(body)!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Equal("timeout", outcome["issue"]![0]!["code"]!.GetValue<string>());
        Assert.False(bound.IsCancellationRequested, "the server kept the connection open");
    }
}
