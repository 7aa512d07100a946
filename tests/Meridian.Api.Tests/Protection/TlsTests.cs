using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Options;

namespace Meridian.Api.Tests.Protection;

/// <summary>Transmission security over real TLS on 127.0.0.1 with a certificate made at test time.</summary>
public sealed class TlsTests : IClassFixture<TlsTests.Certificates>, IDisposable
{
    public sealed class Certificates : IDisposable
    {
        public TestCertificates Files { get; } = new();

        public void Dispose() => Files.Dispose();
    }

    private readonly TestCertificates _certs;
    private readonly string _data = Directory.CreateTempSubdirectory("meridian-tls-data-").FullName;

    public TlsTests(Certificates certificates) => _certs = certificates.Files;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Meridian:Data"] = _data };
        foreach (var (key, value) in extra)
        {
            settings["Meridian:" + key] = value;
        }
        return settings;
    }

    [Fact]
    public async Task Pem_certificate_serves_fhir_over_https_with_hsts()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Tls:Certificate", _certs.CertificatePem), ("Tls:Key", _certs.KeyPem)));
        Assert.All(server.Addresses, a => Assert.StartsWith("https://", a, StringComparison.Ordinal));
        using var http = _certs.Client();
        var root = server.Root("https");
        using var metadata = await http.GetAsync(root + "/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Equal("max-age=31536000", string.Join(",", metadata.Headers.GetValues("Strict-Transport-Security")));

        using var create = await http.PostAsync(root + "/fhir/Patient", new StringContent("""{"resourceType":"Patient","name":[{"family":"OverTls"}]}""", System.Text.Encoding.UTF8, "application/fhir+json"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        using var read = await http.GetAsync(create.Headers.Location);
        Assert.Contains("OverTls", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pkcs12_with_password_file_and_an_http_port_that_only_redirects()
    {
        await using var server = await RunningServer.StartAsync(Settings(
            ("Tls:Certificate", _certs.Pfx), ("Tls:PasswordFile", _certs.PasswordFile), ("Tls:HttpPort", "0"), ("Tls:HstsMaxAgeSeconds", "600"), ("Tls:HstsIncludeSubDomains", "true")));
        using var http = _certs.Client();
        using var secure = await http.GetAsync(server.Root("https") + "/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=600; includeSubDomains", string.Join(",", secure.Headers.GetValues("Strict-Transport-Security")));

        using var plain = await http.PostAsync(server.Root("http") + "/fhir/Patient?x=1", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.PermanentRedirect, plain.StatusCode);
        Assert.Equal(server.Root("https") + "/fhir/Patient?x=1", plain.Headers.Location!.ToString());
        Assert.False(plain.Headers.Contains("Strict-Transport-Security")); // HSTS only over HTTPS (RFC 6797 §7.2)
    }

    [Fact]
    public async Task Encrypted_pem_key_opens_with_the_password_from_configuration()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Tls:Certificate", _certs.CertificatePem), ("Tls:Key", _certs.EncryptedKeyPem), ("Tls:Password", TestCertificates.Password)));
        using var http = _certs.Client();
        using var reply = await http.GetAsync(server.Root("https") + "/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
    }

    [Fact]
    public async Task Only_tls_1_2_and_1_3_are_negotiated_and_plain_http_on_the_tls_port_gets_nothing()
    {
        await using var server = await RunningServer.StartAsync(Settings(("Tls:Certificate", _certs.CertificatePem), ("Tls:Key", _certs.KeyPem)));
        var port = new Uri(server.Root("https")).Port;
        Assert.Equal(SslProtocols.Tls12, await HandshakeAsync(port, SslProtocols.Tls12));
        Assert.Equal(SslProtocols.Tls13, await HandshakeAsync(port, SslProtocols.Tls13));
#pragma warning disable SYSLIB0039, CA5397 // the point: a client offering only TLS 1.0/1.1 must be refused
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(port, SslProtocols.Tls11 | SslProtocols.Tls));
#pragma warning restore SYSLIB0039, CA5397

        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var outcome = await Record.ExceptionAsync(async () =>
        {
            using var reply = await plain.GetAsync($"http://127.0.0.1:{port}/fhir/metadata");
            Assert.NotEqual(HttpStatusCode.OK, reply.StatusCode);
        });
        Assert.True(outcome is null or HttpRequestException, outcome?.ToString());
    }

    private async Task<SslProtocols> HandshakeAsync(int port, SslProtocols protocols)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) => cert is not null && cert.GetCertHashString() == _certs.Thumbprint);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1", EnabledSslProtocols = protocols });
        return ssl.SslProtocol;
    }

    [Fact]
    public async Task A_missing_or_unreadable_certificate_stops_the_server()
    {
        var missing = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(Settings(("Tls:Certificate", _certs.File("nope.pem")))));
        Assert.Contains(missing.Failures, f => f.Contains("Tls:Certificate", StringComparison.Ordinal));

        var garbage = _certs.File("garbage.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate");
        var unreadable = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(Settings(("Tls:Certificate", garbage), ("Tls:Key", _certs.KeyPem))));
        Assert.Contains(unreadable.Failures, f => f.Contains("could not be loaded", StringComparison.Ordinal));

        var wrongPassword = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(Settings(("Tls:Certificate", _certs.Pfx), ("Tls:Password", "wrong"))));
        Assert.Contains(wrongPassword.Failures, f => f.Contains("could not be loaded", StringComparison.Ordinal));
    }
}
