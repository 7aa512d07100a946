using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meridian.Api.Tests.Protection;

/// <summary>A throwaway self-signed server certificate for 127.0.0.1, generated at test time
/// and written as PEM (plain and encrypted key) and PKCS#12; nothing is checked in.</summary>
public sealed class TestCertificates : IDisposable
{
    public const string Password = "test-only-password";

    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-tls-").FullName;

    public TestCertificates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Thumbprint = certificate.Thumbprint;
        System.IO.File.WriteAllText(CertificatePem, certificate.ExportCertificatePem());
        System.IO.File.WriteAllText(KeyPem, key.ExportPkcs8PrivateKeyPem());
        System.IO.File.WriteAllText(EncryptedKeyPem, key.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        System.IO.File.WriteAllBytes(Pfx, certificate.Export(X509ContentType.Pfx, Password));
        System.IO.File.WriteAllText(PasswordFile, Password + "\n");
    }

    public string Thumbprint { get; }

    public string CertificatePem => Path.Combine(_dir, "server.crt");

    public string KeyPem => Path.Combine(_dir, "server.key");

    public string EncryptedKeyPem => Path.Combine(_dir, "server-encrypted.key");

    public string Pfx => Path.Combine(_dir, "server.pfx");

    public string PasswordFile => Path.Combine(_dir, "password.txt");

    public string File(string name) => Path.Combine(_dir, name);

    /// <summary>A client that trusts exactly this certificate (and follows no redirects).</summary>
    public HttpClient Client() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == Thumbprint },
    })
    { Timeout = TimeSpan.FromMinutes(1) };

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
