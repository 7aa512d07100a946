using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Meridian.Storage.Protection;
using Microsoft.Extensions.Options;

namespace Meridian.Api.Tests.Protection;

/// <summary>
/// <c>meridian keys rotate</c> against the database of a running server, with concurrent HTTP
/// writes and reads: nothing fails during the rotation, writes move to the new data key, and
/// after retiring the old master key a server restarted with the new one reads everything.
/// </summary>
public sealed class RotationWhileServingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-rotate-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public Task Sqlite() => RotateWhileServingAsync(["--data", _dir], new() { ["Meridian:Data"] = _dir });

    [Fact]
    public async Task Postgres()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await RotateWhileServingAsync(["--store", "postgres", "--connection", database.ConnectionString],
            new() { ["Meridian:Store"] = "postgres", ["Meridian:Connection"] = database.ConnectionString });
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private static async Task<(int Exit, string Output, string Error)> KeysAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Meridian.Cli.MeridianCli.RunAsync(["keys", .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private async Task RotateWhileServingAsync(string[] storeArgs, Dictionary<string, string?> storeSettings)
    {
        var oldKey = Path.Combine(_dir, "old.key");
        var newKey = Path.Combine(_dir, "new.key");
        Assert.Equal(0, (await KeysAsync("generate", "--out", oldKey)).Exit);
        Assert.Equal(0, (await KeysAsync("generate", "--out", newKey)).Exit);
        Assert.True(MasterKey.TryLoad(oldKey, out var oldMaster, out _));
        Assert.True(MasterKey.TryLoad(newKey, out var newMaster, out _));

        var stored = new ConcurrentBag<(string Location, string Note)>();
        var failures = new ConcurrentBag<string>();
        await using (var server = await RunningServer.StartAsync(new(storeSettings)
        {
            ["Meridian:Encryption:MasterKeyFile"] = oldKey,
            ["Meridian:Encryption:KeyRefreshSeconds"] = "0", // writes see a new data key at once
        }))
        {
            var root = server.Root("http");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            string[] tenants = ["/fhir", "/t/north/fhir", "/t/south/fhir"];
            foreach (var t in tenants)
            {
                stored.Add(await CreateAsync(http, root + t, "seed" + t));
            }
            var seeds = stored.ToArray();

            var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 60; i++)
                {
                    try
                    {
                        stored.Add(await CreateAsync(http, root + tenants[(w + i) % tenants.Length], $"w{w}-{i}"));
                        var (location, note) = seeds[i % seeds.Length];
                        using var reply = await http.GetAsync(location);
                        var body = await reply.Content.ReadAsStringAsync();
                        if (reply.StatusCode != HttpStatusCode.OK || !body.Contains(note, StringComparison.Ordinal))
                        {
                            failures.Add($"read {location}: {(int)reply.StatusCode} {body}");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
                    {
                        failures.Add(ex.Message);
                    }
                }
            })).ToArray();

            // While the load runs: new data keys for every tenant and a master key re-wrap.
            var rotate = await KeysAsync(["rotate", .. storeArgs, "--master-key-file", oldKey, "--new-master-key-file", newKey, "--all-tenants"]);
            Assert.True(rotate.Exit == 0, rotate.Error);
            Assert.Contains($"under {newMaster.Id}", rotate.Output, StringComparison.Ordinal);
            Assert.Contains("tenant north: new data key added", rotate.Output, StringComparison.Ordinal);
            await Task.WhenAll(load);
            Assert.Empty(failures);

            // Writes after the rotation use data key #2 (the server still runs with the old master key).
            var after = await CreateAsync(http, root + "/t/north/fhir", "after-rotation");
            stored.Add(after);
            var list = await KeysAsync(["list", .. storeArgs, "--master-key-file", oldKey]);
            Assert.Contains($"north\t#2\t", list.Output, StringComparison.Ordinal);
        }

        // Step 2 done (servers restarted with the new key): catch stragglers, retire the old key.
        var finish = await KeysAsync(["rotate", .. storeArgs, "--master-key-file", oldKey, "--new-master-key-file", newKey]);
        Assert.True(finish.Exit == 0, finish.Error);
        var retire = await KeysAsync(["rotate", .. storeArgs, "--master-key-file", newKey, "--retire-master-key-id", oldMaster.Id]);
        Assert.True(retire.Exit == 0, retire.Error);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new(storeSettings) { ["Meridian:Encryption:MasterKeyFile"] = oldKey }));
        Assert.Contains(refused.Failures, f => f.Contains(oldMaster.Id, StringComparison.Ordinal));

        await using var restarted = await RunningServer.StartAsync(new(storeSettings) { ["Meridian:Encryption:MasterKeyFile"] = newKey });
        using var client = new HttpClient();
        var port = new Uri(restarted.Root("http")).Port;
        Assert.Equal(3 + 4 * 60 + 1, stored.Count);
        foreach (var (location, note) in stored)
        {
            using var reply = await client.GetAsync(new UriBuilder(location) { Port = port }.Uri);
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
            Assert.Contains(note, await reply.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static async Task<(string Location, string Note)> CreateAsync(HttpClient http, string fhirBase, string note)
    {
        using var reply = await http.PostAsync(fhirBase + "/Patient", new StringContent(
            $$"""{"resourceType":"Patient","extension":[{"url":"urn:meridian:test:note","valueString":"{{note}}"}]}""", Encoding.UTF8, "application/fhir+json"));
        if (reply.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"create in {fhirBase}: {(int)reply.StatusCode} {await reply.Content.ReadAsStringAsync()}");
        }
        return (reply.Headers.Location!.ToString(), note);
    }
}
