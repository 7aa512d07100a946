using System.Collections.Immutable;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Meridian.Storage.Relational.Sql;

namespace Meridian.Storage.Relational;

/// <summary>
/// The store logic both SQL engines share (after JasperFx/wolverine's relational base): write
/// planning, set-based flushing, reads, history, search execution, change feed, migrations.
/// A provider supplies connections, key allocation, its dialect and the few engine-specific
/// hooks (writer serialisation, change-feed ordering lock, conflict detection, bulk insert).
/// </summary>
public abstract partial class RelationalFhirStore : IFhirStore
{
    private readonly SearchSqlGenerator _search;
    private readonly Write.CommitCoalescer _coalescer;

    /// <param name="writers">How many group commits may run at once: 1 where the engine has one
    /// writer (SQLite); more where concurrent transactions overlap usefully (PostgreSQL).</param>
    protected RelationalFhirStore(SqlDialect dialect, StoreOptions? options, int writers = 1)
    {
        Dialect = dialect ?? throw new ArgumentNullException(nameof(dialect));
        Options = options ?? StoreOptions.Default;
        _search = new SearchSqlGenerator(dialect);
        _coalescer = new Write.CommitCoalescer(CommitBatchAsync, writers);
        Statistics = new StatisticsMaintainer(RefreshStatisticsAsync);
    }

    /// <summary>Refreshes planner statistics as committed data grows (see <see cref="StatisticsMaintainer"/>).</summary>
    public StatisticsMaintainer Statistics { get; }

    /// <summary>The statement that refreshes planner statistics; null = the engine does it alone.</summary>
    protected virtual string? AnalyzeSql => null;

    private async Task RefreshStatisticsAsync(CancellationToken ct)
    {
        if (AnalyzeSql is not { } analyze)
        {
            return;
        }
        await using var lease = await AcquireWriterAsync(ct).ConfigureAwait(false);
        await using var cmd = lease.Connection.CreateCommand();
        cmd.CommandText = analyze;
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public SqlDialect Dialect { get; }

    public StoreOptions Options { get; }

    /// <summary>The numbered migrations of this provider.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>A connection for one write transaction. SQLite hands out its single writer under a lock.</summary>
    protected abstract ValueTask<ConnectionLease> AcquireWriterAsync(CancellationToken ct);

    /// <summary>An open connection for reads (pooled).</summary>
    protected abstract ValueTask<DbConnection> OpenReaderAsync(CancellationToken ct);

    protected abstract Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken ct);

    /// <summary><paramref name="count"/> fresh resource keys.</summary>
    protected abstract Task<long[]> AllocateKeysAsync(DbConnection connection, DbTransaction tx, int count, CancellationToken ct);

    /// <summary>
    /// Tells the engine which rows the connection may touch from now on: within
    /// <paramref name="tx"/> only when given (it ends with the transaction), else for the
    /// connection until it is returned. Called on every connection and transaction the store
    /// uses, before its first statement. Only engines that enforce tenant isolation themselves
    /// (PostgreSQL row-level security) do anything here.
    /// </summary>
    protected virtual Task EnterScopeAsync(DbConnection connection, DbTransaction? tx, DataScope scope, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Whether the engine can take the scope in the same round trip as a statement
    /// (<see cref="WithScope"/>): then a reader connection of the store's own statements is not
    /// scoped when opened but by the first statement created on it (<see cref="CreateCommand"/>).
    /// </summary>
    protected virtual bool ScopesWithFirstStatement => false;

    /// <summary>
    /// <paramref name="statement"/> preceded by entering <paramref name="scope"/> for the
    /// connection, as one command: the scope is in force before the statement runs, and if the
    /// command fails it is undone with the command's implicit transaction (the connection then
    /// has no scope, so it sees nothing). Only called when <see cref="ScopesWithFirstStatement"/>.
    /// </summary>
    protected virtual SqlStatement WithScope(DataScope scope, SqlStatement statement) =>
        throw new NotSupportedException($"{GetType().Name} enters scopes in their own round trip");

    /// <summary>Reader connections opened by <see cref="OpenScopedReaderAsync"/> whose scope goes
    /// out with their first statement; the entry is removed when that statement is created.</summary>
    private readonly ConditionalWeakTable<DbConnection, StrongBox<DataScope>> _pendingScopes = new();

    /// <summary>
    /// A reader connection for the store's own statements in <paramref name="scope"/>. Where the
    /// engine allows it the scope is not entered now (its own round trip) but joins the first
    /// statement created on the connection with <see cref="CreateCommand"/>, so every command on
    /// such a connection must be made there, in the order it runs. No statement of the store runs
    /// before the scope: the scope and the first statement are one command (and a pooled
    /// connection comes back reset, in no scope, unless the pool is told not to reset).
    /// </summary>
    private async ValueTask<DbConnection> OpenScopedReaderAsync(DataScope scope, CancellationToken ct)
    {
        if (!ScopesWithFirstStatement)
        {
            return await OpenReaderAsync(scope, ct).ConfigureAwait(false);
        }
        var connection = await OpenReaderAsync(ct).ConfigureAwait(false);
        _pendingScopes.AddOrUpdate(connection, new StrongBox<DataScope>(scope));
        return connection;
    }

    /// <summary>A reader connection already in <paramref name="scope"/> (its own round trip):
    /// for connections handed to code that makes its own commands (modules).</summary>
    private async ValueTask<DbConnection> OpenReaderAsync(DataScope scope, CancellationToken ct)
    {
        var connection = await OpenReaderAsync(ct).ConfigureAwait(false);
        try
        {
            await EnterScopeAsync(connection, null, scope, ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A writer connection already in <paramref name="scope"/>, for statements outside a transaction.</summary>
    private async ValueTask<ConnectionLease> AcquireWriterAsync(DataScope scope, CancellationToken ct)
    {
        var lease = await AcquireWriterAsync(ct).ConfigureAwait(false);
        try
        {
            await EnterScopeAsync(lease.Connection, null, scope, ct).ConfigureAwait(false);
            return lease;
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A write transaction already in <paramref name="scope"/>.</summary>
    private async Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, DataScope scope, CancellationToken ct)
    {
        var tx = await BeginWriteTransactionAsync(connection, ct).ConfigureAwait(false);
        try
        {
            await EnterScopeAsync(connection, tx, scope, ct).ConfigureAwait(false);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Serialises migrators (PostgreSQL advisory lock); SQLite's writer lock already does.</summary>
    protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Called right before change rows are inserted: where sequence order must be made
    /// commit order (PostgreSQL), the provider takes a lock held until commit.</summary>
    protected virtual Task BeforeChangeFeedAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>A concurrent writer won a race (unique violation, serialisation failure,
    /// deadlock): the whole transaction is re-run from its reads.</summary>
    protected abstract bool IsTransientConflict(DbException exception);

    /// <summary>Whether <paramref name="exception"/> is the engine breaking a deadlock (counted
    /// apart: <see cref="DeadlockRetryCount"/>). SQLite's single writer cannot deadlock.</summary>
    protected virtual bool IsDeadlock(DbException exception) => false;

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteTransactionAsync(lease.Connection, DataScope.System, cancellationToken).ConfigureAwait(false);
        await LockForMigrationAsync(lease.Connection, tx, cancellationToken).ConfigureAwait(false);
        var current = await MigrationRunner.CurrentVersionAsync(lease.Connection, tx, cancellationToken).ConfigureAwait(false);
        foreach (var migration in Migrations)
        {
            if (migration.Version > current)
            {
                await MigrationRunner.ApplyAsync(lease.Connection, tx, migration, Options.Clock.GetUtcNow().UtcTicks, cancellationToken).ConfigureAwait(false);
            }
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        // Deferred-type writes committed before a stop or crash are indexed now.
        NotifyDeferredIndexer();
    }

    public async Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append($"SELECT {SearchSqlGenerator.ResourceColumns} FROM resources WHERE tenant = ").AppendParam(tenant)
           .Append(" AND type = ").AppendParam(type).Append(" AND id = ").AppendParam(id)
           .Append($" AND is_current = {Dialect.True}");
        var rows = await QueryResourcesAsync(tenant, sql.Build(), cancellationToken).ConfigureAwait(false);
        return rows.Length == 0 ? null : rows[0];
    }

    public async Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append($"SELECT {SearchSqlGenerator.ResourceColumns} FROM resources WHERE tenant = ").AppendParam(tenant)
           .Append(" AND type = ").AppendParam(type).Append(" AND id = ").AppendParam(id)
           .Append(" AND version = ").AppendParam(versionId);
        var rows = await QueryResourcesAsync(tenant, sql.Build(), cancellationToken).ConfigureAwait(false);
        return rows.Length == 0 ? null : rows[0];
    }

    public async Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT seq, tenant, type, id, version, op, at, trace_id FROM changes WHERE seq > ").AppendParam(afterSequence)
           .Append(" ORDER BY seq LIMIT ").AppendParam((long)Math.Clamp(max, 1, 100_000));
        var statement = sql.Build();
        await using var connection = await OpenScopedReaderAsync(DataScope.ChangeFeed, cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, statement);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<ChangeRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ChangeRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                (ChangeKind)Convert.ToInt32(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture),
                new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return list.DrainToImmutable();
    }

    /// <summary>Runs a statement that selects <see cref="SearchSqlGenerator.ResourceColumns"/>.</summary>
    internal async Task<ImmutableArray<StoredResource>> QueryResourcesAsync(string tenant, SqlStatement statement, CancellationToken ct, List<long>? keys = null)
    {
        await using var connection = await OpenScopedReaderAsync(DataScope.Of(tenant), ct).ConfigureAwait(false);
        return await QueryResourcesAsync(connection, tenant, statement, ct, keys).ConfigureAwait(false);
    }

    /// <summary>Appends the condition for the current rows of <paramref name="names"/>[start..end)
    /// of <paramref name="tenant"/>: <c>tenant = … AND is_current AND (type, id) IN (VALUES …)</c>.</summary>
    private SqlBuilder AppendCurrentOf(SqlBuilder sql, string tenant, IReadOnlyList<(string Type, string Id)> names, int start, int end)
    {
        sql.Append("tenant = ").AppendParam(tenant).Append($" AND is_current = {Dialect.True} AND (type, id) IN (VALUES ");
        for (var i = start; i < end; i++)
        {
            sql.Append(i > start ? ", (" : "(").AppendParam(names[i].Type).Append(", ").AppendParam(names[i].Id).Append(")");
        }
        return sql.Append(")");
    }

    internal Task<ImmutableArray<StoredResource>> QueryResourcesAsync(DbConnection connection, string tenant, SqlStatement statement, CancellationToken ct, List<long>? keys = null) =>
        QueryResourcesAsync(connection, null, tenant, statement, ct, keys);

    internal async Task<ImmutableArray<StoredResource>> QueryResourcesAsync(DbConnection connection, DbTransaction? tx, string tenant, SqlStatement statement, CancellationToken ct, List<long>? keys = null)
    {
        await using var cmd = CreateCommand(connection, tx, statement);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<StoredResource>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredResource(
                tenant, reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
                reader.GetBoolean(4),
                reader.GetFieldValue<byte[]>(5)));
            keys?.Add(reader.GetInt64(6));
        }
        await reader.CloseAsync().ConfigureAwait(false);
        return await UnprotectJsonAsync(connection, tx, tenant, list.DrainToImmutable(), ct).ConfigureAwait(false);
    }

    /// <summary>A command for <paramref name="statement"/>; the first one on a connection from
    /// <see cref="OpenScopedReaderAsync"/> also enters that connection's scope.</summary>
    internal DbCommand CreateCommand(DbConnection connection, DbTransaction? tx, SqlStatement statement)
    {
        if (tx is null && _pendingScopes.TryGetValue(connection, out var pending) && _pendingScopes.Remove(connection))
        {
            return WithScope(pending.Value, statement).ToCommand(connection, tx);
        }
        return statement.ToCommand(connection, tx);
    }

    /// <summary>Store time, truncated to milliseconds so <c>meta.lastUpdated</c> text and the indexed instant agree.</summary>
    private DateTimeOffset Now()
    {
        var t = Options.Clock.GetUtcNow().UtcTicks;
        return new DateTimeOffset(t - (t % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}

/// <summary>A connection lent for one unit of work; disposing returns it (and releases any writer lock).</summary>
public sealed class ConnectionLease(DbConnection connection, Func<ValueTask> release) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;

    public ValueTask DisposeAsync() => release();
}
