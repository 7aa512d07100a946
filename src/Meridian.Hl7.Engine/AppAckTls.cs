using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meridian.Hl7.Engine;

/// <summary>
/// The TLS side of application acknowledgments: per sender, whether its receiving side speaks MLLP
/// over TLS, the name its certificate must carry, and which CA to trust for it. A sender's private
/// CA (<see cref="Hl7SenderOptions.AppAckTlsCaCertificate"/>) replaces the system's trust store for
/// that sender only; without one the system's trust applies, as for any TLS client. The host name
/// check always applies. Certificates are read once per file and kept for the sender's lifetime.
/// </summary>
internal sealed class AppAckTls : IDisposable
{
    private readonly ConcurrentDictionary<string, X509Certificate2Collection> _trust = new(StringComparer.Ordinal);

    /// <summary>The client settings for <paramref name="sender"/>'s receiver at <paramref name="host"/>; null: plain TCP.</summary>
    public SslClientAuthenticationOptions? For(Hl7SenderOptions sender, string host)
    {
        if (!sender.AppAckTls)
        {
            return null;
        }
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = sender.AppAckTlsServerName is { Length: > 0 } name ? name : host,
        };
        if (sender.AppAckTlsCaCertificate is { Length: > 0 } path)
        {
            // A private CA seldom publishes revocation lists a hospital network can reach; with an
            // online check every handshake would fail as "revocation unknown".
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(_trust.GetOrAdd(path, Load));
            options.CertificateChainPolicy = policy;
        }
        return options;
    }

    private static X509Certificate2Collection Load(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return certificates;
    }

    /// <summary>Problems of a sender's TLS settings (checked at start with the other options).</summary>
    public static IEnumerable<string> Problems(string name, Hl7SenderOptions sender)
    {
        if (!sender.AppAckTls && (sender.AppAckTlsServerName is not null || sender.AppAckTlsCaCertificate is not null))
        {
            yield return $"Hl7:Senders:{name}:AppAckTlsServerName and AppAckTlsCaCertificate need AppAckTls = true.";
        }
        if (sender.AppAckTlsCaCertificate is { Length: > 0 } path && !File.Exists(path))
        {
            yield return $"Hl7:Senders:{name}:AppAckTlsCaCertificate '{path}' does not exist.";
        }
    }

    public void Dispose()
    {
        foreach (var collection in _trust.Values)
        {
            foreach (var certificate in collection)
            {
                certificate.Dispose();
            }
        }
        _trust.Clear();
    }
}
