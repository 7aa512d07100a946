using System.Buffers.Binary;
using System.Text.Json;
using Meridian.Storage.Protection;

namespace Meridian.Storage.Tests.Protection;

/// <summary>
/// Data-key and master-key rotation on a live store: new writes move to the new data key, old
/// rows stay readable by their key id, and reads and writes running during a rotation never
/// fail. Own fixture (database): a master-key rotation touches every tenant's keys.
/// </summary>
public abstract class KeyRotationTests(EncryptedStoreFixture fixture)
{
    private readonly string _tenant = "r" + Guid.NewGuid().ToString("N")[..12];

    private static string Note(StoredResource r) =>
        JsonDocument.Parse(r.Json).RootElement.GetProperty("extension")[0].GetProperty("valueString").GetString()!;

    private async Task<string> CreateAsync(IFhirStore store, string note, string? tenant = null)
    {
        var result = await store.TransactAsync(tenant ?? _tenant, [new CreateOperation("Patient", ProtectionTests.Patient("Rot", note))]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Results[0].Resource!.Id;
    }

    private async Task<int> KeyIdOfAsync(string id, string? tenant = null) =>
        BinaryPrimitives.ReadInt32BigEndian((await fixture.RawJsonAsync(tenant ?? _tenant, "Patient", id, 1)).AsSpan(1));

    [Fact]
    public async Task A_new_data_key_takes_new_writes_and_old_rows_stay_readable()
    {
        var store = fixture.Open(fixture.Master, TimeSpan.Zero);
        try
        {
            var before = await CreateAsync(store, "before");
            Assert.Equal(1, await KeyIdOfAsync(before));
            var rotated = await KeyRotation.NewDataKeyAsync((IDataKeyStore)store, _tenant, [fixture.Master]);
            Assert.True(rotated.Succeeded, string.Join(" ", rotated.Problems));
            var after = await CreateAsync(store, "after");
            Assert.Equal(2, await KeyIdOfAsync(after));
            // Both through this store and through the long-running fixture store (cold cache for key 2).
            foreach (var reader in new[] { store, fixture.Store })
            {
                Assert.Equal("before", Note((await reader.ReadAsync(_tenant, "Patient", before))!));
                Assert.Equal("after", Note((await reader.ReadAsync(_tenant, "Patient", after))!));
            }
        }
        finally
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }

    [Fact]
    public async Task Master_key_rotation_rewraps_while_reads_and_writes_continue()
    {
        var tenants = Enumerable.Range(0, 3).Select(i => $"{_tenant}-{i}").ToArray();
        var seeded = new List<(string Tenant, string Id, string Note)>();
        foreach (var t in tenants)
        {
            seeded.Add((t, await CreateAsync(fixture.Store, "seed-" + t, t), "seed-" + t));
        }
        var next = MasterKey.Generate();
        var admin = (IDataKeyStore)fixture.Store;
        var written = new System.Collections.Concurrent.ConcurrentBag<(string Tenant, string Id, string Note)>();
        using var stop = new CancellationTokenSource();

        // A running "server" (the fixture store, old master key) keeps writing and reading.
        var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 400 && !stop.IsCancellationRequested; i++)
            {
                var tenant = tenants[(w + i) % tenants.Length];
                var note = $"w{w}-{i}";
                written.Add((tenant, await CreateAsync(fixture.Store, note, tenant), note));
                var (st, sid, snote) = seeded[i % seeded.Count];
                Assert.Equal(snote, Note((await fixture.Store.ReadAsync(st, "Patient", sid))!));
            }
        })).ToArray();

        // Meanwhile: a data key rotation per tenant, then the master key rotation (twice: the
        // second run catches keys created under the old master key in between).
        foreach (var t in tenants)
        {
            Assert.True((await KeyRotation.NewDataKeyAsync(admin, t, [fixture.Master])).Succeeded);
        }
        var first = await KeyRotation.RewrapAsync(admin, fixture.Master, next);
        Assert.True(first.Succeeded, string.Join(" ", first.Problems));
        Assert.True(first.Changed >= tenants.Length * 2);
        await Task.WhenAll(load);
        Assert.True((await KeyRotation.RewrapAsync(admin, fixture.Master, next)).Succeeded);

        // A server restarted with the new master key passes the start-up check and reads everything.
        var restarted = fixture.Open(next);
        try
        {
            Assert.Empty(await new EnvelopeProtector(next).VerifyAsync((IDataKeyStore)restarted));
            foreach (var (t, id, note) in seeded.Concat(written))
            {
                Assert.Equal(note, Note((await restarted.ReadAsync(t, "Patient", id))!));
            }
            Assert.Equal(1600, written.Count);
        }
        finally
        {
            await ((IAsyncDisposable)restarted).DisposeAsync();
        }
    }

    [Fact]
    public async Task Retiring_a_master_key_is_refused_while_a_data_key_depends_on_it()
    {
        var lonely = MasterKey.Generate();
        var admin = (IDataKeyStore)fixture.Store;
        Assert.Equal(1, await admin.AddDataKeysAsync([new DataKeyRecord(_tenant + "-lonely", 1, lonely.Id, lonely.Wrap(_tenant + "-lonely", 1, new byte[32]), DateTimeOffset.UtcNow)]));
        var refused = await KeyRotation.RetireMasterAsync(admin, lonely.Id);
        Assert.False(refused.Succeeded);
        Assert.Contains(_tenant + "-lonely#1", refused.Problems[0], StringComparison.Ordinal);

        var other = MasterKey.Generate();
        Assert.Equal(1, await admin.AddDataKeysAsync([new DataKeyRecord(_tenant + "-lonely", 1, other.Id, other.Wrap(_tenant + "-lonely", 1, new byte[32]), DateTimeOffset.UtcNow)]));
        var retired = await KeyRotation.RetireMasterAsync(admin, lonely.Id);
        Assert.True(retired.Succeeded);
        Assert.Equal(1, retired.Changed);
        Assert.DoesNotContain(await admin.ListDataKeysAsync(), k => k.MasterKeyId == lonely.Id);
        Assert.Equal(1, await admin.RemoveWrapsAsync(other.Id));
    }
}
