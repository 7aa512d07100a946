using System.Net;
using System.Text;
using Meridian.Storage.Protection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Meridian.Api.Tests.Protection;

/// <summary>
/// How the server decides about encryption at rest, and that it refuses to start when the
/// database and the master key do not match — on both stores, through real HTTP.
/// </summary>
public sealed class EncryptionStartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-enc-api-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<string> CreatePatientAsync(RunningServer server, string note)
    {
        using var http = new HttpClient();
        using var reply = await http.PostAsync(server.Root("http") + "/fhir/Patient", new StringContent(
            $$"""{"resourceType":"Patient","name":[{"family":"Enc"}],"extension":[{"url":"urn:meridian:test:note","valueString":"{{note}}"}]}""", Encoding.UTF8, "application/fhir+json"));
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        return reply.Headers.Location!.ToString();
    }

    private static async Task<string> ReadAsync(string location)
    {
        using var http = new HttpClient();
        using var reply = await http.GetAsync(location);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        return await reply.Content.ReadAsStringAsync();
    }

    private bool DataDirectoryContains(string needle)
    {
        var pattern = Encoding.UTF8.GetBytes(needle);
        return Directory.GetFiles(_dir).Any(f =>
        {
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.GetBuffer().AsSpan(0, (int)m.Length).IndexOf(pattern) >= 0;
        });
    }

    [Fact]
    public async Task Embedded_default_generates_an_owner_only_key_and_encrypts()
    {
        var note = "EMBEDDED-" + Guid.NewGuid().ToString("N");
        string location;
        await using (var server = await RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir }))
        {
            location = await CreatePatientAsync(server, note);
            Assert.Contains(note, await ReadAsync(location), StringComparison.Ordinal);
        }
        var keyFile = Path.Combine(_dir, "master.key");
        Assert.True(MasterKey.TryLoad(keyFile, out var generated, out _));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
        Assert.False(DataDirectoryContains(note));

        // A restart finds the same key; a different master key is refused before listening.
        await using (var again = await RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir }))
        {
            var port = new Uri(again.Root("http")).Port;
            Assert.Contains(note, await ReadAsync(new UriBuilder(location) { Port = port }.ToString()), StringComparison.Ordinal);
        }
        var other = Path.Combine(_dir, "other.key");
        MasterKey.Generate().WriteNewFile(other);
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir, ["Meridian:Encryption:MasterKeyFile"] = other }));
        Assert.Contains(refused.Failures, f => f.Contains("not wrapped under the configured master key", StringComparison.Ordinal));

        // Plaintext mode on an encrypted database would serve ciphertext: refused too.
        var plaintext = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir, ["Meridian:Encryption:Mode"] = "off" }));
        Assert.Contains(plaintext.Failures, f => f.Contains("encrypted at rest", StringComparison.Ordinal));
        Assert.True(generated.Id.Length > 3);
    }

    [Fact]
    public async Task A_tampered_row_is_answered_with_an_operation_outcome_not_with_wrong_data()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir });
        var a = await CreatePatientAsync(server, "alpha-note");
        var b = await CreatePatientAsync(server, "beta-note");
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "meridian.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            // Row swap by someone with database access: b's row now carries a's ciphertext.
            cmd.CommandText = "UPDATE resources SET json = (SELECT json FROM resources WHERE id = $a) WHERE id = $b";
            cmd.Parameters.AddWithValue("$a", a.Split('/')[^3]);
            cmd.Parameters.AddWithValue("$b", b.Split('/')[^3]);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        using var http = new HttpClient();
        using var reply = await http.GetAsync(b);
        Assert.Equal(HttpStatusCode.InternalServerError, reply.StatusCode);
        var body = await reply.Content.ReadAsStringAsync();
        Assert.Contains("OperationOutcome", body, StringComparison.Ordinal);
        Assert.DoesNotContain("alpha-note", body, StringComparison.Ordinal);
        Assert.Contains("alpha-note", await ReadAsync(a), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_needs_insecure_dev()
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new()
        {
            ["Meridian:Data"] = _dir, ["Meridian:InsecureDev"] = "false", ["Meridian:Encryption:Mode"] = "off",
        }));
        Assert.Contains(refused.Failures, f => f.Contains("only with --insecure-dev", StringComparison.Ordinal));

        var note = "PLAIN-" + Guid.NewGuid().ToString("N");
        await using (var server = await RunningServer.StartAsync(new() { ["Meridian:Data"] = _dir, ["Meridian:Encryption:Mode"] = "off" }))
        {
            await CreatePatientAsync(server, note);
        }
        Assert.False(File.Exists(Path.Combine(_dir, "master.key")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.True(DataDirectoryContains(note)); // the control: without encryption the note is on disk
    }

    [Fact]
    public async Task Postgres_needs_a_master_key_and_stores_no_plaintext()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var store = new Dictionary<string, string?> { ["Meridian:Store"] = "postgres", ["Meridian:Connection"] = database.ConnectionString };

        var noKey = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new(store) { ["Meridian:InsecureDev"] = "false" }));
        Assert.Contains(noKey.Failures, f => f.Contains("needs a master key", StringComparison.Ordinal));

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var note = "PG-" + Guid.NewGuid().ToString("N");
        await using (var server = await RunningServer.StartAsync(new(store) { ["Meridian:MASTER_KEY"] = key }))
        {
            var location = await CreatePatientAsync(server, note);
            Assert.Contains(note, await ReadAsync(location), StringComparison.Ordinal);
        }
        await using (var connection = new NpgsqlConnection(database.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM resources WHERE position(convert_to(@n, 'UTF8') in json) > 0 OR get_byte(json, 0) <> 1", connection);
            cmd.Parameters.AddWithValue("n", note);
            Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        }

        var withoutKey = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new(store)));
        Assert.Contains(withoutKey.Failures, f => f.Contains("encrypted at rest", StringComparison.Ordinal));
        var wrongKey = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new(store) { ["Meridian:MASTER_KEY"] = Convert.ToBase64String(new byte[32]) }));
        Assert.Contains(wrongKey.Failures, f => f.Contains("not wrapped under the configured master key", StringComparison.Ordinal));
        NpgsqlConnection.ClearAllPools();
    }
}
