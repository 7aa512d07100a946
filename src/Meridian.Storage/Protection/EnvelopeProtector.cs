using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Meridian.Storage.Protection;

/// <summary>
/// Envelope encryption of resource JSON: each tenant has numbered 256-bit data keys, wrapped by
/// the <see cref="MasterKey"/> in the <c>data_keys</c> table; every payload names the data key
/// that sealed it (<see cref="PayloadFormat"/>). New writes use the tenant's newest key; old
/// rows stay readable by their key id. Unwrapped keys are cached by (tenant, key id) — a key
/// id's material never changes, only how it is wrapped — so rotation by another process (the
/// <c>meridian keys</c> CLI) needs no coordination: it only adds rows.
/// </summary>
public sealed class EnvelopeProtector : IPayloadProtector
{
    private readonly MasterKey _master;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Tenant, int KeyId), byte[]> _keys = new();
    private readonly ConcurrentDictionary<string, CurrentKey> _current = new(StringComparer.Ordinal);

    /// <param name="refresh">How long a tenant's "newest data key" is trusted before the key
    /// table is asked again: bounds how soon writes switch to a key added by rotation.</param>
    public EnvelopeProtector(MasterKey master, TimeSpan? refresh = null, TimeProvider? clock = null)
    {
        _master = master ?? throw new ArgumentNullException(nameof(master));
        Refresh = refresh ?? TimeSpan.FromSeconds(10);
        _clock = clock ?? TimeProvider.System;
    }

    public string MasterKeyId => _master.Id;

    public TimeSpan Refresh { get; }

    private sealed record CurrentKey(int KeyId, byte[] Key, long CheckedAt);

    public async ValueTask<byte[]> ProtectAsync(PayloadAddress address, byte[] plaintext, IDataKeyTable keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(keys);
        var now = _clock.GetTimestamp();
        if (!_current.TryGetValue(address.Tenant, out var current) || _clock.GetElapsedTime(current.CheckedAt, now) >= Refresh)
        {
            current = await NewestKeyAsync(address.Tenant, keys, now, cancellationToken).ConfigureAwait(false);
        }
        return PayloadFormat.Seal(current.KeyId, current.Key, address, plaintext);
    }

    public async ValueTask<byte[]> UnprotectAsync(PayloadAddress address, ReadOnlyMemory<byte> stored, IDataKeyTable keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!PayloadFormat.TryReadKeyId(stored.Span, out var keyId))
        {
            throw new PayloadProtectionException(stored.Length > 0 && stored.Span[0] is (byte)'{' or (byte)' ' or (byte)'\n'
                ? $"{address} is stored unencrypted, but this server encrypts: the database was written without a master key"
                : $"{address} is not a Meridian encrypted payload (format byte {(stored.Length > 0 ? stored.Span[0] : -1)}, {stored.Length} bytes): the row was altered");
        }
        if (!_keys.TryGetValue((address.Tenant, keyId), out var key))
        {
            key = await LoadKeyAsync(address, keyId, keys, cancellationToken).ConfigureAwait(false);
        }
        if (!PayloadFormat.TryOpen(key, address, stored.Span, out var plaintext))
        {
            throw new PayloadProtectionException($"{address} failed authentication: the ciphertext was altered or belongs to another row");
        }
        return plaintext;
    }

    /// <summary>
    /// Checks that every data key in the table has a wrap under this master key that opens.
    /// Returns the problems (empty when all is well): a server refuses to start on any, instead
    /// of failing later on the first read of an old row.
    /// </summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(IDataKeyStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var rows = await store.ListDataKeysAsync(cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        if (rows.IsEmpty && await store.HasResourcesAsync(cancellationToken).ConfigureAwait(false))
        {
            problems.Add("the database holds resources but no data keys: it was written unencrypted; it cannot be opened with a master key");
            return problems;
        }
        var missing = new List<string>();
        foreach (var group in rows.GroupBy(r => (r.Tenant, r.KeyId)))
        {
            var mine = group.FirstOrDefault(r => r.MasterKeyId == _master.Id);
            if (mine is null)
            {
                missing.Add($"{group.Key.Tenant}#{group.Key.KeyId} (wrapped under {string.Join(", ", group.Select(r => r.MasterKeyId).Distinct())})");
            }
            else if (!_master.TryUnwrap(mine.Tenant, mine.KeyId, mine.Wrapped, out var dataKey))
            {
                problems.Add($"data key {mine.Tenant}#{mine.KeyId}: its wrap under {_master.Id} does not open (altered row)");
            }
            else
            {
                _keys.TryAdd((mine.Tenant, mine.KeyId), dataKey);
            }
        }
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} data key(s) are not wrapped under the configured master key {_master.Id} — wrong master key, or a rotation not finished (meridian keys rotate): "
                + string.Join("; ", missing.Take(5)) + (missing.Count > 5 ? "; …" : ""));
        }
        return problems;
    }

    private async Task<CurrentKey> NewestKeyAsync(string tenant, IDataKeyTable keys, long now, CancellationToken ct)
    {
        var latest = await keys.LatestAsync(tenant, _master.Id, ct).ConfigureAwait(false);
        if (latest is null)
        {
            // The tenant's first write: the key row joins the caller's transaction, so it exists
            // exactly when the rows it sealed do. Two servers racing here collide on the key
            // table's primary key and one re-runs its transaction.
            var material = RandomNumberGenerator.GetBytes(MasterKey.KeySize);
            await keys.AddAsync(new DataKeyRecord(tenant, 1, _master.Id, _master.Wrap(tenant, 1, material), _clock.GetUtcNow()), ct).ConfigureAwait(false);
            return new CurrentKey(1, material, now);
        }
        if (latest.Wrapped is null)
        {
            throw new PayloadProtectionException($"data key {tenant}#{latest.KeyId} is not wrapped under master key {_master.Id}: run meridian keys rotate with this master key");
        }
        if (!_master.TryUnwrap(tenant, latest.KeyId, latest.Wrapped, out var key))
        {
            throw new PayloadProtectionException($"data key {tenant}#{latest.KeyId} does not open with master key {_master.Id}: the key row was altered");
        }
        var current = new CurrentKey(latest.KeyId, key, now);
        if (latest.Committed)
        {
            _current[tenant] = current;
            _keys.TryAdd((tenant, latest.KeyId), key);
        }
        return current;
    }

    private async Task<byte[]> LoadKeyAsync(PayloadAddress address, int keyId, IDataKeyTable keys, CancellationToken ct)
    {
        var found = await keys.FindAsync(address.Tenant, keyId, _master.Id, ct).ConfigureAwait(false);
        if (found is null)
        {
            throw new PayloadProtectionException($"{address} is sealed with data key #{keyId}, which tenant '{address.Tenant}' does not have: the row was altered or moved");
        }
        if (found.Wrapped is null)
        {
            throw new PayloadProtectionException($"data key {address.Tenant}#{keyId} is not wrapped under master key {_master.Id}: run meridian keys rotate with this master key");
        }
        if (!_master.TryUnwrap(address.Tenant, keyId, found.Wrapped, out var key))
        {
            throw new PayloadProtectionException($"data key {address.Tenant}#{keyId} does not open with master key {_master.Id}: the key row was altered");
        }
        if (found.Committed)
        {
            _keys.TryAdd((address.Tenant, keyId), key);
        }
        return key;
    }
}
