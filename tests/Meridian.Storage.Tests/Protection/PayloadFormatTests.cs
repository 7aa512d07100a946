using System.Security.Cryptography;
using System.Text;
using Meridian.Storage.Protection;

namespace Meridian.Storage.Tests.Protection;

/// <summary>The ciphertext and key-wrap formats on their own (no database).</summary>
public sealed class PayloadFormatTests
{
    private static readonly PayloadAddress s_address = new("acme", "Patient", "p1", 3);

    [Fact]
    public void Seal_then_open_round_trips_and_names_the_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var sealedBytes = PayloadFormat.Seal(7, key, s_address, "{\"a\":1}"u8);
        Assert.Equal(PayloadFormat.Overhead + 7, sealedBytes.Length);
        Assert.True(PayloadFormat.TryReadKeyId(sealedBytes, out var keyId));
        Assert.Equal(7, keyId);
        Assert.True(PayloadFormat.TryOpen(key, s_address, sealedBytes, out var plain));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(plain));
        Assert.NotEqual(sealedBytes, PayloadFormat.Seal(7, key, s_address, "{\"a\":1}"u8)); // fresh nonce each time
    }

    [Theory]
    [InlineData("other", "Patient", "p1", 3)]
    [InlineData("acme", "Person", "p1", 3)]
    [InlineData("acme", "Patient", "p2", 3)]
    [InlineData("acme", "Patient", "p1", 4)]
    public void Another_address_does_not_open(string tenant, string type, string id, long version)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var sealedBytes = PayloadFormat.Seal(1, key, s_address, "{}"u8);
        Assert.False(PayloadFormat.TryOpen(key, new PayloadAddress(tenant, type, id, version), sealedBytes, out _));
    }

    [Fact]
    public void A_changed_key_id_or_another_key_does_not_open()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var sealedBytes = PayloadFormat.Seal(1, key, s_address, "{}"u8);
        Assert.False(PayloadFormat.TryOpen(RandomNumberGenerator.GetBytes(32), s_address, sealedBytes, out _));
        sealedBytes[4] = 2;
        Assert.False(PayloadFormat.TryOpen(key, s_address, sealedBytes, out _));
    }

    [Fact]
    public void Plain_json_is_not_taken_for_a_payload()
    {
        Assert.False(PayloadFormat.TryReadKeyId("{\"resourceType\":\"Patient\",\"id\":\"abcdefghijklmnopqrstuvwxyz\"}"u8, out _));
        Assert.False(PayloadFormat.TryReadKeyId([1, 0, 0, 0, 1], out _));
    }

    [Fact]
    public void Master_key_wraps_bind_tenant_and_key_id()
    {
        var master = MasterKey.Generate();
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = master.Wrap("acme", 2, dataKey);
        Assert.Equal(MasterKey.WrappedSize, wrapped.Length);
        Assert.True(master.TryUnwrap("acme", 2, wrapped, out var back));
        Assert.Equal(dataKey, back);
        Assert.False(master.TryUnwrap("other", 2, wrapped, out _));
        Assert.False(master.TryUnwrap("acme", 1, wrapped, out _));
        Assert.False(MasterKey.Generate().TryUnwrap("acme", 2, wrapped, out _));
    }

    [Fact]
    public void Master_keys_parse_from_base64_of_32_bytes_only_and_have_stable_ids()
    {
        var text = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.True(MasterKey.TryParse(text + "\n", out var a, out _));
        Assert.True(MasterKey.TryParse(text, out var b, out _));
        Assert.Equal(a.Id, b.Id);
        Assert.StartsWith("mk-", a.Id, StringComparison.Ordinal);
        Assert.False(MasterKey.TryParse(Convert.ToBase64String(new byte[16]), out _, out var error));
        Assert.Contains("32 bytes", error, StringComparison.Ordinal);
        Assert.False(MasterKey.TryParse("not base64!", out _, out _));
        Assert.False(MasterKey.TryParse("", out _, out _));
    }

    [Fact]
    public void Key_files_are_created_owner_only_and_never_overwritten()
    {
        var dir = Directory.CreateTempSubdirectory("meridian-key-").FullName;
        try
        {
            var path = Path.Combine(dir, "master.key");
            var key = MasterKey.Generate();
            key.WriteNewFile(path);
            Assert.True(MasterKey.TryLoad(path, out var loaded, out _));
            Assert.Equal(key.Id, loaded.Id);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
            Assert.Throws<IOException>(() => MasterKey.Generate().WriteNewFile(path));
            Assert.False(MasterKey.TryLoad(Path.Combine(dir, "missing.key"), out _, out var error));
            Assert.Contains("does not exist", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
