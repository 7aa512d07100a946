using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Interop;

/// <summary>
/// Interoperability with an independent JOSE implementation: Debian's python3-jwt (PyJWT)
/// signs the Backend Services assertion (ES384 and RS384) that our server must accept, and
/// verifies our access token with our published JWKS. test.sh installs python3-jwt; without
/// it this test fails rather than skips.
/// </summary>
public sealed class PyJwtInteropTests(SqliteAuthServerFixture fixture) : IClassFixture<SqliteAuthServerFixture>
{
    [Theory]
    [InlineData("ES384")]
    [InlineData("RS384")]
    public async Task PyJWT_client_gets_a_token_verifies_it_with_our_JWKS_and_reads_FHIR(string alg)
    {
        var key = JsonWebKey.Generate(JwsAlgorithm.Find(alg)!);
        var clientId = "py-" + alg.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.AddClientAsync("default", new NewClient { ClientId = clientId, Jwks = new JsonWebKeySet([key]).ToJson(), Scopes = ["system/*.rs"] });
        var pem = Path.Combine(Path.GetTempPath(), $"meridian-{clientId}.pem");
        await File.WriteAllTextAsync(pem, Pem(key));
        try
        {
            var output = await RunPythonAsync(
                Path.Combine(AppContext.BaseDirectory, "Interop", "smart_backend_client.py"),
                fixture.Root + "/auth/token", clientId, pem, alg, key.Kid!, fixture.Root + "/fhir", fixture.Root + "/auth", fixture.Root + "/auth/jwks");
            using var doc = JsonDocument.Parse(output);
            var r = doc.RootElement;
            Assert.Equal("Bearer", r.GetProperty("token_type").GetString());
            Assert.Equal(clientId, r.GetProperty("sub").GetString());
            Assert.Equal("system/*.rs", r.GetProperty("scope").GetString());
            Assert.Equal("RS256", r.GetProperty("verified_alg").GetString());
            Assert.Equal(200, r.GetProperty("fhir_status").GetInt32());
            Assert.Equal("Bundle", r.GetProperty("fhir_type").GetString());
        }
        finally
        {
            File.Delete(pem);
        }
    }

    private static string Pem(JsonWebKey key)
    {
        if (key.Kty == "RSA")
        {
            using var rsa = key.CreateRsa();
            return rsa.ExportPkcs8PrivateKeyPem();
        }
        using var ec = key.CreateECDsa();
        return ec.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Debian's interpreter (where apt puts python3-jwt), else whatever python3 is on PATH.</summary>
    private static async Task<string> RunPythonAsync(params string[] args)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"python failed ({process.ExitCode}): {await stderr} — is python3-jwt installed (apt-get install python3-jwt)?");
        return await stdout;
    }
}
