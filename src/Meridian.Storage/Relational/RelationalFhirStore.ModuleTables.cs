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

/// <summary>Units of work on a module's tables, for modules that need no more than one transaction
/// at a time (the HL7 v2 inbox and error store).</summary>
public static class ModuleDatabaseExtensions
{
    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it (rolls back if it throws).</summary>
    public static async Task<T> WriteAsync<T>(this IModuleDatabase database, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(work);
        await using var lease = await database.AcquireModuleWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await database.BeginModuleTransactionAsync(lease.Connection, cancellationToken).ConfigureAwait(false);
        var result = await work(lease.Connection, tx, cancellationToken).ConfigureAwait(false);
        // Not cancellable once the work is done: the caller must learn whether it committed.
        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>Runs <paramref name="work"/> on a reader connection (no transaction).</summary>
    public static async Task<T> ReadAsync<T>(this IModuleDatabase database, Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(work);
        await using var connection = await database.OpenModuleReaderAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection, cancellationToken).ConfigureAwait(false);
    }
}
