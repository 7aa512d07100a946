namespace Meridian.Server.Protection;

/// <summary>
/// TLS for Kestrel (section <c>Meridian:Tls</c>): a PEM certificate with its key
/// (<c>--tls-cert</c>, <c>--tls-key</c>) or a PKCS#12 file. The password of an encrypted key or
/// PFX comes from <see cref="PasswordFile"/> or <c>MERIDIAN_TLS__PASSWORD</c>, never from the
/// repository. With TLS on the server speaks TLS 1.2+ only and sends HSTS.
/// </summary>
public sealed class TlsSettings
{
    /// <summary>PEM certificate (chain) or PKCS#12 (.pfx/.p12) file. Unset: plain HTTP.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key of <see cref="Certificate"/> (PEM only; PKCS#12 carries its key).</summary>
    public string? Key { get; set; }

    /// <summary>Password of an encrypted PEM key or of the PKCS#12 file.</summary>
    public string? Password { get; set; }

    /// <summary>File holding the password (first line).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Strict-Transport-Security max-age, seconds (default one year).</summary>
    public int HstsMaxAgeSeconds { get; set; } = 31_536_000;

    public bool HstsIncludeSubDomains { get; set; }

    /// <summary>Optional plain-HTTP port that only redirects (308) to HTTPS; unset: no HTTP listener.</summary>
    public int? HttpPort { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Certificate);

    internal IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(Key))
            {
                yield return "Tls:Key is set but Tls:Certificate is not.";
            }
            yield break;
        }
        if (!File.Exists(Certificate))
        {
            yield return $"Tls:Certificate '{Certificate}' does not exist.";
        }
        if (Key is { Length: > 0 } key && !File.Exists(key))
        {
            yield return $"Tls:Key '{key}' does not exist.";
        }
        if (PasswordFile is { Length: > 0 } pf && !File.Exists(pf))
        {
            yield return $"Tls:PasswordFile '{pf}' does not exist.";
        }
        if (HstsMaxAgeSeconds < 0)
        {
            yield return "Tls:HstsMaxAgeSeconds must be 0 or more.";
        }
        if (HttpPort is < 0 or > 65535)
        {
            yield return $"Tls:HttpPort {HttpPort} is not a TCP port (0-65535).";
        }
    }
}
