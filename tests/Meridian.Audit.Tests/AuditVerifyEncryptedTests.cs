using System.Text;
using Meridian.Audit.Tests.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace Meridian.Audit.Tests;

/// <summary>
/// The chain hashes each record's plaintext, while encryption at rest (the embedded default)
/// stores ciphertext: <c>meridian audit verify</c> must open the records with the store's master
/// key, find an intact chain, and still notice a record whose ciphertext was altered.
/// </summary>
public sealed class AuditVerifyEncryptedTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-audit-enc-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private SqliteConnection Open() =>
        new(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "meridian.db"), Pooling = false }.ToString());

    [Fact]
    public async Task An_encrypted_chain_verifies_and_a_altered_ciphertext_is_a_break()
    {
        // Default settings: SQLite encrypts with a generated master key beside the database.
        var app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:Data"] = _dir,
            ["Meridian:InsecureDev"] = "true",
        });
        await app.StartAsync();
        try
        {
            var root = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
            using var http = new HttpClient();
            var created = await http.PostAsync($"{root}/fhir/Patient", new StringContent("""{"resourceType":"Patient","name":[{"family":"Sealed"}]}""", Encoding.UTF8, "application/fhir+json"));
            Assert.True(created.IsSuccessStatusCode);
            Assert.True((await http.GetAsync($"{root}/fhir/Patient?family=Sealed")).IsSuccessStatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Assert.True(File.Exists(Path.Combine(_dir, "master.key")));

        await using (var db = Open())
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT json FROM resources WHERE type = 'AuditEvent' ORDER BY resource_key LIMIT 1";
            var stored = (byte[])(await cmd.ExecuteScalarAsync())!;
            Assert.NotEqual((byte)'{', stored[0]); // sealed, not plaintext
        }

        var (exit, output, err) = await MeridianCommand.Run("audit", "verify", "--data", _dir);
        Assert.True(exit == 0, output + err);
        Assert.Contains("intact, 2 records", output, StringComparison.Ordinal);

        // Flip one ciphertext byte of the first record: it no longer opens, so its hash breaks.
        await using (var db = Open())
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE resources SET json = substr(json, 1, 40) || (CASE WHEN substr(json, 41, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(json, 42) "
                + "WHERE resource_key = (SELECT min(resource_key) FROM resources WHERE type = 'AuditEvent')";
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        (exit, output, err) = await MeridianCommand.Run("audit", "verify", "--data", _dir);
        Assert.True(exit == 1, output + err);
        Assert.Contains("BROKEN at record 1: changed:", output, StringComparison.Ordinal);
    }
}
