using System.Collections.Immutable;

namespace Meridian.Storage.Records;

/// <summary>
/// A small key-value store beside the FHIR data for the platform's own records (OAuth clients,
/// users, refresh tokens, signing keys, replay caches): per tenant and kind, a key maps to
/// opaque bytes with a version. Writes are compare-and-swap on that version, so two servers
/// sharing a database cannot both consume the same one-time code or refresh token. The FHIR
/// API never reads or writes these rows.
/// </summary>
public interface ISystemRecordStore
{
    /// <summary>The record, or null when absent or expired.</summary>
    Task<SystemRecord?> GetRecordAsync(string tenant, string kind, string key, CancellationToken cancellationToken = default);

    /// <summary>Unexpired records of one kind in one tenant, ordered by key.</summary>
    Task<ImmutableArray<SystemRecord>> ListRecordsAsync(string tenant, string kind, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/> if the stored version is <paramref name="expectedVersion"/>
    /// (<see cref="SystemRecord.Absent"/>: only if no record exists). An expired record counts as absent.
    /// </summary>
    /// <returns>The new version, or null when the expectation failed (someone else wrote first).</returns>
    Task<long?> PutRecordAsync(string tenant, string kind, string key, ReadOnlyMemory<byte> value, long expectedVersion, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the record if its version is <paramref name="expectedVersion"/>
    /// (<see cref="SystemRecord.AnyVersion"/>: whatever it is). True when a row was deleted.</summary>
    Task<bool> DeleteRecordAsync(string tenant, string kind, string key, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Removes expired records of one kind (all tenants); returns how many.</summary>
    Task<int> PurgeExpiredRecordsAsync(string kind, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>One stored record. <see cref="Value"/> is whatever the owner serialised (JSON by convention).</summary>
public sealed record SystemRecord(string Tenant, string Kind, string Key, long Version, byte[] Value, DateTimeOffset Updated, DateTimeOffset? ExpiresAt)
{
    /// <summary>Expected version meaning "create only: no record may exist".</summary>
    public const long Absent = 0;

    /// <summary>Expected version for deletes meaning "whatever version".</summary>
    public const long AnyVersion = -1;

    /// <summary>Tenant value for records that belong to the whole server (signing keys);
    /// never a valid tenant name, so no FHIR tenant can alias it.</summary>
    public const string ServerWide = "";
}
