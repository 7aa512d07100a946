namespace Meridian.Storage.Relational;

/// <summary>What a data scope opens.</summary>
public enum DataScopeKind
{
    /// <summary>One tenant's rows (every FHIR interaction, that tenant's platform records).</summary>
    Tenant,

    /// <summary>The server-wide platform records (<c>system_records</c> with tenant "").</summary>
    Server,

    /// <summary>Every tenant's change-feed rows, read only (the event dispatcher).</summary>
    ChangeFeed,

    /// <summary>Every row of every table: migrations and cross-tenant maintenance (tenant lists,
    /// data-key rotation, expired-record purge, the audit verifier's tenant list).</summary>
    System,
}

/// <summary>
/// The rows a connection or transaction works on, told to the engine where it enforces tenant
/// isolation itself as a second line behind the tenant predicate in every statement
/// (PostgreSQL row-level security, docs/adr/0018-postgres-row-level-security.md). The
/// cross-tenant kinds are few and named, so a missing tenant cannot silently widen a scope.
/// </summary>
public readonly record struct DataScope(DataScopeKind Kind, string Tenant)
{
    public static DataScope Server { get; } = new(DataScopeKind.Server, "");

    public static DataScope ChangeFeed { get; } = new(DataScopeKind.ChangeFeed, "");

    public static DataScope System { get; } = new(DataScopeKind.System, "");

    /// <summary>One tenant's rows; tenant "" is the server-wide records.</summary>
    public static DataScope Of(string tenant) =>
        string.IsNullOrEmpty(tenant) ? Server : new(DataScopeKind.Tenant, tenant);
}
