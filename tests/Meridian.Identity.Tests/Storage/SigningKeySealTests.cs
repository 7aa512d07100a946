using System.Text;
using Meridian.Identity.Jose;
using Meridian.Identity.Tokens;
using Meridian.Storage.Protection;

namespace Meridian.Identity.Tests.Storage;

/// <summary>The sealed form of a signing key: opens only with a master key that wraps it, and
/// only unaltered; wraps are added and retired without ever leaving the key unwrapped.</summary>
public sealed class SigningKeySealTests
{
    private static readonly JsonWebKey Key = JsonWebKey.Generate(JwsAlgorithm.ES256);

    [Fact]
    public void A_sealed_key_opens_with_its_master_key_and_holds_no_private_material()
    {
        var master = MasterKey.Generate();
        var stored = SigningKeySeal.Seal(Key, [master]);
        Assert.True(SigningKeySeal.IsSealed(stored));
        Assert.False(SigningKeySeal.IsSealed(Encoding.UTF8.GetBytes(Key.ToJson())));
        Assert.DoesNotContain(Base64UrlText.Encode(Key.D!), Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        var opened = SigningKeySeal.Open(stored, master);
        Assert.True(opened.IsSuccess, opened.Error?.ToString());
        Assert.Equal(Key.Thumbprint(), opened.Value.Thumbprint());
        Assert.Equal(Key.D, opened.Value.D);
    }

    [Fact]
    public void Another_master_key_or_an_altered_record_does_not_open()
    {
        var master = MasterKey.Generate();
        var stored = SigningKeySeal.Seal(Key, [master]);
        Assert.Equal("wrap", SigningKeySeal.Open(stored, MasterKey.Generate()).Error!.Code);
        var text = Encoding.UTF8.GetString(stored);
        var payloadAt = text.IndexOf("\"payload\":\"", StringComparison.Ordinal) + 20;
        var altered = text[..payloadAt] + (text[payloadAt] == 'A' ? 'B' : 'A') + text[(payloadAt + 1)..];
        Assert.Equal("altered", SigningKeySeal.Open(Encoding.UTF8.GetBytes(altered), master).Error!.Code);
        var otherKid = text.Replace(Key.Kid!, "someone-else", StringComparison.Ordinal);
        Assert.False(SigningKeySeal.Open(Encoding.UTF8.GetBytes(otherKid), master).IsSuccess);
    }

    [Fact]
    public void Rotation_adds_a_wrap_then_retires_the_old_one_but_never_the_last()
    {
        var oldKey = MasterKey.Generate();
        var newKey = MasterKey.Generate();
        var stored = SigningKeySeal.Seal(Key, [oldKey]);
        var both = SigningKeySeal.AddWrap(stored, oldKey, newKey).Value!;
        Assert.Null(SigningKeySeal.AddWrap(both, oldKey, newKey).Value); // idempotent
        Assert.True(SigningKeySeal.Open(both, newKey).IsSuccess);
        Assert.True(SigningKeySeal.Open(both, oldKey).IsSuccess);
        var onlyNew = SigningKeySeal.RemoveWrap(both, oldKey.Id).Value!;
        Assert.False(SigningKeySeal.Open(onlyNew, oldKey).IsSuccess);
        Assert.True(SigningKeySeal.Open(onlyNew, newKey).IsSuccess);
        Assert.Equal("orphan", SigningKeySeal.RemoveWrap(onlyNew, newKey.Id).Error!.Code);
    }
}
