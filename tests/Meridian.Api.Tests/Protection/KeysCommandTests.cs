using Meridian.Storage.Protection;

namespace Meridian.Api.Tests.Protection;

/// <summary><c>meridian keys</c>: its refusals (each an exit code and a message, never a half-done rotation).</summary>
public sealed class KeysCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-keys-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<(int Exit, string Output, string Error)> KeysAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Meridian.Cli.MeridianCli.RunAsync(["keys", .. args], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Generate_prints_the_key_id_and_never_overwrites()
    {
        var file = Path.Combine(_dir, "a.key");
        var first = await KeysAsync("generate", "--out", file);
        Assert.Equal(0, first.Exit);
        Assert.True(MasterKey.TryLoad(file, out var key, out _));
        Assert.Contains(key.Id, first.Output, StringComparison.Ordinal);
        var second = await KeysAsync("generate", "--out", file);
        Assert.Equal(2, second.Exit);
        Assert.True(MasterKey.TryLoad(file, out var still, out _));
        Assert.Equal(key.Id, still.Id);
    }

    [Fact]
    public async Task Rotate_refuses_without_a_key_without_work_and_with_the_wrong_key()
    {
        var data = Path.Combine(_dir, "data");
        var noKey = await KeysAsync("rotate", "--data", data, "--all-tenants");
        Assert.Equal(2, noKey.Exit);
        Assert.Contains("no master key", noKey.Error, StringComparison.Ordinal);

        // A server's first start generates data/master.key; writes create the default tenant's data key.
        await using (var server = await RunningServer.StartAsync(new() { ["Meridian:Data"] = data }))
        {
            using var http = new HttpClient();
            using var reply = await http.PostAsync(server.Root("http") + "/fhir/Patient", new StringContent("""{"resourceType":"Patient"}""", System.Text.Encoding.UTF8, "application/fhir+json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, reply.StatusCode);
        }
        var nothing = await KeysAsync("rotate", "--data", data);
        Assert.Equal(2, nothing.Exit);
        Assert.Contains("nothing to do", nothing.Error, StringComparison.Ordinal);

        var wrong = Path.Combine(_dir, "wrong.key");
        MasterKey.Generate().WriteNewFile(wrong);
        var refused = await KeysAsync("rotate", "--data", data, "--master-key-file", wrong, "--all-tenants");
        Assert.Equal(2, refused.Exit);
        Assert.Contains("not wrapped under the configured master key", refused.Error, StringComparison.Ordinal);

        // The data directory's own key file is the default current key.
        var rotated = await KeysAsync("rotate", "--data", data, "--tenant", "default");
        Assert.Equal(0, rotated.Exit);
        var list = await KeysAsync("list", "--data", data);
        Assert.Contains("default\t#1\t", list.Output, StringComparison.Ordinal);
        Assert.Contains("default\t#2\t", list.Output, StringComparison.Ordinal);

        Assert.True(MasterKey.TryLoad(Path.Combine(data, "master.key"), out var current, out _));
        var retireCurrent = await KeysAsync("rotate", "--data", data, "--retire-master-key-id", current.Id);
        Assert.Equal(2, retireCurrent.Exit);
    }
}
