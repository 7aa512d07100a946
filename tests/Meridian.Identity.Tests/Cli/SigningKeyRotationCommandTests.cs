using Meridian.Cli;
using Meridian.Identity.Tokens;
using Meridian.Server;
using Meridian.Storage.Protection;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Tests.Cli;

/// <summary>
/// <c>meridian keys rotate</c> carries the sealed token-signing key through a master-key
/// rotation: re-wrapped under the new key, the old wrap retired, and a server started with only
/// the new key signs with the same key. Both stores.
/// </summary>
public abstract class SigningKeyRotationCommandTests(Func<TestServerStore> newStore)
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MeridianCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<string> SigningKidAsync(Dictionary<string, string?> settings, string masterKeyFile)
    {
        var all = new Dictionary<string, string?>(settings) { ["Meridian:Port"] = "0", ["Meridian:Encryption:MasterKeyFile"] = masterKeyFile };
        await using var app = await MeridianServer.BuildAsync([], all);
        return app.Services.GetRequiredService<SigningKeyRing>().Current.Kid!;
    }

    [Fact]
    public async Task A_master_key_rotation_rewraps_the_signing_key_and_retires_the_old_wrap()
    {
        await using var store = newStore();
        var settings = await store.SettingsAsync();
        var keys = Directory.CreateTempSubdirectory("meridian-keyrot-").FullName;
        try
        {
            var oldFile = Path.Combine(keys, "old.key");
            var newFile = Path.Combine(keys, "new.key");
            var oldKey = MasterKey.Generate();
            oldKey.WriteNewFile(oldFile);
            MasterKey.Generate().WriteNewFile(newFile);
            var kid = await SigningKidAsync(settings, oldFile); // first start: key generated, sealed under the old master key

            var rotated = await RunAsync(["keys", "rotate", .. store.CliArguments, "--master-key-file", oldFile, "--new-master-key-file", newFile]);
            Assert.True(rotated.Code == 0, rotated.Output + rotated.Error);
            Assert.Contains("re-wrapped 1 signing key(s)", rotated.Output, StringComparison.Ordinal);

            var retired = await RunAsync(["keys", "rotate", .. store.CliArguments, "--master-key-file", newFile, "--retire-master-key-id", oldKey.Id]);
            Assert.True(retired.Code == 0, retired.Output + retired.Error);
            Assert.Contains($"removed 1 signing key wrap(s) under {oldKey.Id}", retired.Output, StringComparison.Ordinal);

            Assert.Equal(kid, await SigningKidAsync(settings, newFile)); // opened with the new key alone
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }
}

public sealed class SqliteSigningKeyRotationCommandTests() : SigningKeyRotationCommandTests(() => TestServerStore.Sqlite("meridian-keyrot-db-"));

public sealed class PostgresSigningKeyRotationCommandTests() : SigningKeyRotationCommandTests(TestServerStore.Postgres);
