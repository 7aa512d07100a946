using System.Text;
using Meridian.Identity.Jose;
using Meridian.Storage.Protection;
using Meridian.Storage.Records;

namespace Meridian.Identity.Tokens;

/// <summary>
/// <c>meridian keys rotate</c> for the token-signing keys, alongside the data keys
/// (<see cref="KeyRotation"/>): a new master key adds a wrap to every sealed signing key (and
/// seals any still stored in plaintext under both keys); retiring a master key removes its
/// wraps, refused while a key has no other. Each record changes by compare-and-swap, so running
/// servers — which read the keys once at start — are never left without a wrap they can open.
/// </summary>
public static class SigningKeyRotation
{
    public static async Task<KeyOperationResult> RewrapAsync(ISystemRecordStore records, MasterKey current, MasterKey next, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        var stored = await records.ListRecordsAsync(SystemRecord.ServerWide, SigningKeyRing.Kind, ct).ConfigureAwait(false);
        var updates = new List<(SystemRecord Record, byte[] Value)>();
        var problems = new List<string>();
        foreach (var record in stored)
        {
            if (SigningKeySeal.IsSealed(record.Value))
            {
                var added = SigningKeySeal.AddWrap(record.Value, current, next);
                if (!added.IsSuccess)
                {
                    problems.Add(added.Error!.Description);
                }
                else if (added.Value is { } value)
                {
                    updates.Add((record, value));
                }
                continue;
            }
            var plain = JsonWebKey.Parse(Encoding.UTF8.GetString(record.Value));
            if (plain.IsSuccess && plain.Value.HasPrivateKey && plain.Value.Kid is not null)
            {
                updates.Add((record, SigningKeySeal.Seal(plain.Value, [current, next])));
            }
        }
        return problems.Count > 0 ? new KeyOperationResult(0, problems) : await WriteAsync(records, updates, ct).ConfigureAwait(false);
    }

    public static async Task<KeyOperationResult> RetireAsync(ISystemRecordStore records, string retiredMasterKeyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var stored = await records.ListRecordsAsync(SystemRecord.ServerWide, SigningKeyRing.Kind, ct).ConfigureAwait(false);
        var updates = new List<(SystemRecord Record, byte[] Value)>();
        var problems = new List<string>();
        foreach (var record in stored.Where(r => SigningKeySeal.IsSealed(r.Value)))
        {
            var removed = SigningKeySeal.RemoveWrap(record.Value, retiredMasterKeyId);
            if (!removed.IsSuccess)
            {
                problems.Add(removed.Error!.Description);
            }
            else if (removed.Value is { } value)
            {
                updates.Add((record, value));
            }
        }
        return problems.Count > 0 ? new KeyOperationResult(0, problems) : await WriteAsync(records, updates, ct).ConfigureAwait(false);
    }

    private static async Task<KeyOperationResult> WriteAsync(ISystemRecordStore records, List<(SystemRecord Record, byte[] Value)> updates, CancellationToken ct)
    {
        var changed = 0;
        var problems = new List<string>();
        foreach (var (record, value) in updates)
        {
            if (await records.PutRecordAsync(record.Tenant, record.Kind, record.Key, value, record.Version, record.ExpiresAt, ct).ConfigureAwait(false) is null)
            {
                problems.Add($"signing key {record.Key} changed concurrently; run the command again");
            }
            else
            {
                changed++;
            }
        }
        return new KeyOperationResult(changed, problems);
    }
}
