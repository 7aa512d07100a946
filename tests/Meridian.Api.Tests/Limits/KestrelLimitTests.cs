using System.Net.Sockets;
using System.Text;
using Meridian.Api.Tests.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Meridian.Api.Tests.Limits;

/// <summary>Header, request-line and time limits, and slow clients, over real TCP on 127.0.0.1.</summary>
public sealed class KestrelLimitTests : IAsyncLifetime
{
    private ConfiguredServer? _server;

    public async Task InitializeAsync() =>
        _server = await ConfiguredServer.StartAsync(TestStore.Sqlite, new Dictionary<string, string?>
        {
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Limits:RateLimit:Enabled"] = "false",
            ["Meridian:Limits:MaxRequestHeadersTotalSize"] = "4096",
            ["Meridian:Limits:MaxRequestHeaderCount"] = "20",
            ["Meridian:Limits:MaxRequestLineSize"] = "1024",
            ["Meridian:Limits:RequestHeadersTimeout"] = "2s",
            ["Meridian:Limits:MinDataRateGracePeriod"] = "2s",
            ["Meridian:Limits:MinRequestBodyBytesPerSecond"] = "1000",
            ["Meridian:Limits:RequestTimeout"] = "5s", // generous: only the never-ending endpoint may hit it on a busy machine
        }, app => app.MapGet("/test/never-ends", async (CancellationToken ct) =>
        {
            // Stands in for a runaway request: waits until the request timeout cancels it.
            await Task.Delay(Timeout.Infinite, ct);
            return Results.Ok();
        }));

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private FhirClient Api => new(_server!.Http, _server.Root + "/fhir");

    [Fact]
    public async Task Oversized_headers_get_431_and_an_overlong_request_line_gets_414()
    {
        Assert.Equal(200, (await Api.GetAsync("metadata", ("X-Small", new string('a', 100)))).Code);
        Assert.Equal(431, (await Api.GetAsync("metadata", ("X-Big", new string('a', 8000)))).Code);
        var many = Enumerable.Range(0, 30).Select(i => ("X-H" + i, "v")).ToArray();
        Assert.Equal(431, (await Api.GetAsync("metadata", many)).Code);
        Assert.Equal(414, (await Api.GetAsync("Patient?name=" + new string('a', 2000))).Code);
        Assert.Equal(200, (await Api.GetAsync("metadata")).Code);
    }

    [Fact]
    public async Task A_request_over_its_time_limit_gets_503_with_an_operation_outcome()
    {
        var reply = await Api.GetAsync(_server!.Root + "/test/never-ends");
        Assert.Equal(503, reply.Code);
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal("timeout", reply.Json["issue"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_that_sends_headers_too_slowly_is_disconnected()
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /fhir/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        // ...and never finishes the headers. The server must close the connection.
        Assert.True(await ClosedByServerAsync(socket));
    }

    [Fact]
    public async Task A_client_that_uploads_a_body_too_slowly_is_disconnected()
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n{\"resourceType\""));
        Assert.True(await ClosedByServerAsync(socket));
    }

    [Theory]
    [InlineData("Limits:RequestTimeout", "soon", "RequestTimeout")]
    [InlineData("Limits:RateLimit:TokensPerPeriod", "0", "TokensPerPeriod")]
    [InlineData("Limits:MaxRequestHeaderCount", "2", "MaxRequestHeaderCount")]
    [InlineData("Limits:MinDataRateGracePeriod", "1s", "MinDataRateGracePeriod")]
    public async Task Invalid_limits_stop_the_server_before_it_starts(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Meridian:Port"] = "0", ["Meridian:" + key] = value };
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", _server!.Port);
        return socket;
    }

    /// <summary>Reads (and discards any 408 the server sends first) until the server closes the
    /// connection; false if it is still open after a generous bound.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            for (var reads = 0; reads < 1000; reads++)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true; // reset by the server: closed too
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return false;
    }
}
