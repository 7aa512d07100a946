using System.Data.Common;

namespace Meridian.Storage.Relational;

/// <summary>
/// Lets a platform module keep its own tables beside the FHIR data (subscription queues and
/// dead letters, created by the module's numbered migrations of each provider) and use the
/// store's connections for them: on SQLite the single writer, so module writes serialise with
/// FHIR writes instead of failing on a second writer; on PostgreSQL the pool. Modules never
/// touch the FHIR tables through it.
/// </summary>
public interface IModuleDatabase
{
    SqlDialect Dialect { get; }

    /// <summary>The writer connection for one unit of work (dispose to release it).</summary>
    ValueTask<ConnectionLease> AcquireModuleWriterAsync(CancellationToken cancellationToken);

    /// <summary>A pooled connection for reads (dispose to return it).</summary>
    ValueTask<DbConnection> OpenModuleReaderAsync(CancellationToken cancellationToken);

    /// <summary>Begins a write transaction on a connection from <see cref="AcquireModuleWriterAsync"/>.</summary>
    Task<DbTransaction> BeginModuleTransactionAsync(DbConnection connection, CancellationToken cancellationToken);
}

// Modules work across tenants (one delivery loop for every tenant's subscriptions), so their
// connections run in the system scope; on PostgreSQL their tables carry the row-level policies
// of migration 0013 all the same, so nothing else reaches them unscoped.
public abstract partial class RelationalFhirStore : IModuleDatabase
{
    ValueTask<ConnectionLease> IModuleDatabase.AcquireModuleWriterAsync(CancellationToken cancellationToken) => AcquireWriterAsync(DataScope.System, cancellationToken);

    ValueTask<DbConnection> IModuleDatabase.OpenModuleReaderAsync(CancellationToken cancellationToken) => OpenReaderAsync(DataScope.System, cancellationToken);

    Task<DbTransaction> IModuleDatabase.BeginModuleTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        BeginWriteTransactionAsync(connection, DataScope.System, cancellationToken);
}
