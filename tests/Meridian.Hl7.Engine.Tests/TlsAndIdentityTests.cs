using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

public sealed class TlsAndIdentityTests
{
    [Fact]
    public async Task The_listener_speaks_MLLP_over_TLS_with_the_configured_certificate()
    {
        var dir = Directory.CreateTempSubdirectory("meridian-hl7-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dir, "mllp.pem");
        var keyPath = Path.Combine(dir, "mllp.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        await using var store = new SqliteEngineStore();
        await using var h = await EngineHarness.StartAsync(store, o => (o.TlsCertificate, o.TlsKey) = (certPath, keyPath));
        var presented = "";
        await using (var client = await MllpClient.ConnectAsync("localhost", h.Port, tls: true, validate: (_, cert, _, _) =>
        {
            presented = cert?.GetCertHashString() ?? "";
            return presented == certificate.GetCertHashString();
        }))
        {
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Adt("T1", "P1")))));
        }
        Assert.Equal(certificate.GetCertHashString(), presented);
        Assert.Single(await h.Inbox.PendingAsync(0, 10));

        // A plain-TCP client gets no acknowledgment from the TLS listener, and nothing is stored.
        await using (var plain = await MllpClient.ConnectAsync("127.0.0.1", h.Port))
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Assert.ThrowsAnyAsync<Exception>(() => plain.SendAsync(TestMessages.Bytes(TestMessages.Adt("T2", "P1")), bound.Token));
            Assert.False(bound.IsCancellationRequested);
        }
        Assert.Single(await h.Inbox.PendingAsync(0, 10));
    }

    [Fact]
    public async Task An_authenticated_client_may_only_send_as_the_sender_configured_for_it()
    {
        await using var store = new SqliteEngineStore();
        await using var h = await EngineHarness.StartAsync(store, o => o.Senders["LAB"] = new Hl7SenderOptions { ClientId = "lab-feed" });
        var message = TestMessages.Bytes(TestMessages.Oru("I1", "P1", app: "LAB"));
        var impostor = await h.Engine.Receiver.ReceiveAsync(message, new Hl7Origin("http", "127.0.0.1") { AuthenticatedClientId = "other-client" });
        Assert.Equal((Hl7ReceiptKind.Rejected, "AR"), (impostor.Kind, TestMessages.AckCode(impostor.AckBytes)));
        Assert.Contains("may not send as", TestMessages.Field(impostor.AckBytes, "MSA", 3), StringComparison.Ordinal);
        var owner = await h.Engine.Receiver.ReceiveAsync(message, new Hl7Origin("http", "127.0.0.1") { AuthenticatedClientId = "lab-feed" });
        Assert.Equal(Hl7ReceiptKind.Stored, owner.Kind);
        Assert.Equal("lab-feed", (await h.Inbox.GetAsync(owner.InboxId!.Value))!.ClientId);
    }
}
