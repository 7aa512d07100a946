using System.Data.Common;

namespace Meridian.Storage.Relational;

/// <summary>
/// Plain SQL on the store's own connections, for modules that keep tables of their own beside
/// the FHIR data (the HL7 v2 inbox and error store, migration 0011) without a second connection
/// pool or a second durability setting: writes run on the writer connection (SQLite: the single
/// writer with <c>synchronous=FULL</c>; PostgreSQL: a pooled connection) in one transaction
/// committed before the returned task completes. Found with <c>store.Find&lt;IRelationalSqlAccess&gt;()</c>.
/// </summary>
public interface IRelationalSqlAccess
{
    SqlDialect Dialect { get; }

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it (rolls back if it throws).</summary>
    Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="work"/> on a reader connection (no transaction).</summary>
    Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default);
}

public abstract partial class RelationalFhirStore : IRelationalSqlAccess
{
    async Task<T> IRelationalSqlAccess.WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        // The inbox serves every tenant from one dispatcher: the system scope (migration 0013).
        await using var tx = await BeginWriteTransactionAsync(lease.Connection, DataScope.System, cancellationToken).ConfigureAwait(false);
        var result = await work(lease.Connection, tx, cancellationToken).ConfigureAwait(false);
        // Not cancellable once the work is done: the caller must learn whether it committed.
        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    async Task<T> IRelationalSqlAccess.ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var connection = await OpenReaderAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        return await work(connection, cancellationToken).ConfigureAwait(false);
    }
}
