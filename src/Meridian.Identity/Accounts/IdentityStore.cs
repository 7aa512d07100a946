using System.Collections.Immutable;
using System.Text.Json;
using Meridian.Storage.Records;

namespace Meridian.Identity.Accounts;

/// <summary>A stored value with the version its next compare-and-swap must name.</summary>
public sealed record Versioned<T>(T Value, long Version);

/// <summary>
/// Typed access to the identity records in <see cref="ISystemRecordStore"/> (JSON values):
/// clients, users, authorization codes, refresh tokens and families, assertion <c>jti</c>s.
/// </summary>
public sealed class IdentityStore(ISystemRecordStore records)
{
    public const string Clients = "oauth-client";
    public const string Users = "user";
    public const string Codes = "auth-code";
    public const string RefreshTokens = "refresh-token";
    public const string Families = "token-family";
    public const string AssertionIds = "assertion-jti";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public ISystemRecordStore Records => records;

    public async Task<Versioned<T>?> GetAsync<T>(string tenant, string kind, string key, CancellationToken ct)
    {
        var r = await records.GetRecordAsync(tenant, kind, key, ct).ConfigureAwait(false);
        return r is null ? null : new Versioned<T>(JsonSerializer.Deserialize<T>(r.Value, s_json)!, r.Version);
    }

    public async Task<ImmutableArray<T>> ListAsync<T>(string tenant, string kind, CancellationToken ct)
    {
        var rows = await records.ListRecordsAsync(tenant, kind, ct).ConfigureAwait(false);
        return [.. rows.Select(r => JsonSerializer.Deserialize<T>(r.Value, s_json)!)];
    }

    /// <returns>False when <paramref name="expectedVersion"/> no longer holds (someone else wrote first).</returns>
    public async Task<bool> PutAsync<T>(string tenant, string kind, string key, T value, long expectedVersion, DateTimeOffset? expires, CancellationToken ct) =>
        await records.PutRecordAsync(tenant, kind, key, JsonSerializer.SerializeToUtf8Bytes(value, s_json), expectedVersion, expires, ct).ConfigureAwait(false) is not null;

    public Task<bool> DeleteAsync(string tenant, string kind, string key, long expectedVersion, CancellationToken ct) =>
        records.DeleteRecordAsync(tenant, kind, key, expectedVersion, ct);

    /// <summary>True when no user and no client exists in <paramref name="tenant"/> (first start).</summary>
    public async Task<bool> IsEmptyAsync(string tenant, CancellationToken ct) =>
        (await records.ListRecordsAsync(tenant, Users, ct).ConfigureAwait(false)).Length == 0
        && (await records.ListRecordsAsync(tenant, Clients, ct).ConfigureAwait(false)).Length == 0;
}
