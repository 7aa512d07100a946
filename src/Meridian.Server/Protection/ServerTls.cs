using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Protection;

/// <summary>
/// Transmission security: Kestrel listens with TLS 1.2/1.3 only when a certificate is
/// configured, HTTPS responses carry Strict-Transport-Security, and an optional plain-HTTP
/// port only redirects. Without a certificate the server speaks plain HTTP (development, or
/// TLS terminated by a proxy in front).
/// </summary>
internal static class ServerTls
{
    public static void Configure(WebApplicationBuilder builder, MeridianServerOptions options)
    {
        var tls = options.Tls;
        if (!tls.Enabled)
        {
            builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
            return;
        }
        var certificate = Load(tls);
        builder.Services.AddSingleton(certificate); // disposed with the container
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = certificate;
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        }));
        builder.WebHost.UseUrls(tls.HttpPort is { } http
            ? [$"https://{options.Host}:{options.Port}", $"http://{options.Host}:{http}"]
            : [$"https://{options.Host}:{options.Port}"]);
        builder.Services.AddHsts(h =>
        {
            h.MaxAge = TimeSpan.FromSeconds(tls.HstsMaxAgeSeconds);
            h.IncludeSubDomains = tls.HstsIncludeSubDomains;
            // The defaults exempt localhost; a server configured with a certificate means it everywhere.
            h.ExcludedHosts.Clear();
        });
        builder.Services.AddHttpsRedirection(r =>
        {
            // 308 keeps the method and body (FHIR clients POST and PUT); port 0 is found from the bound address.
            r.RedirectStatusCode = 308;
            if (options.Port != 0)
            {
                r.HttpsPort = options.Port;
            }
        });
    }

    public static void Use(WebApplication app, MeridianServerOptions options)
    {
        if (!options.Tls.Enabled)
        {
            return;
        }
        if (options.Tls.HttpPort is not null)
        {
            app.UseHttpsRedirection();
        }
        app.UseHsts();
    }

    /// <summary>PEM certificate + key (optionally encrypted) or PKCS#12; a file that does not
    /// load stops the server with the reason.</summary>
    internal static X509Certificate2 Load(TlsSettings tls)
    {
        var path = tls.Certificate!;
        var password = tls.PasswordFile is { Length: > 0 } file ? File.ReadLines(file).FirstOrDefault() ?? "" : tls.Password;
        try
        {
            if (IsPkcs12(path) && string.IsNullOrEmpty(tls.Key))
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
            var key = string.IsNullOrEmpty(tls.Key) ? path : tls.Key;
            using var pem = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(path, key)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, key);
            if (!pem.HasPrivateKey)
            {
                throw new CryptographicException("the certificate has no private key");
            }
            // Re-import through PKCS#12 so the key is usable by SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw new OptionsValidationException(MeridianServerOptions.Section, typeof(MeridianServerOptions),
                [$"Tls:Certificate '{path}' could not be loaded: {ex.Message}"]);
        }
    }

    private static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
}
