using System.Data;
using System.Data.Common;
using Meridian.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace Meridian.Storage.Postgres;

/// <summary>
/// The production store on PostgreSQL through one <see cref="NpgsqlDataSource"/> (pooled
/// connections, many concurrent writers). Writers run at READ COMMITTED; lost updates are
/// prevented by the unique "one current version" index and the primary key, and a writer that
/// loses such a race re-runs its whole transaction (base class). Large index row sets go
/// in as one unnest INSERT per table. Tenant isolation is enforced a second time by row-level
/// security (migration 0012, <see cref="EnterScopeAsync"/>).
/// </summary>
public sealed partial class PostgresFhirStore : RelationalFhirStore, IAsyncDisposable
{
    /// <summary>Advisory lock ids (arbitrary, stable): migrations, and change-feed ordering.</summary>
    private const long MigrationLock = 0x4D65_7269_6469_0001;
    private const long ChangeFeedLock = 0x4D65_7269_6469_0002;
    private const int BulkThreshold = 64;

    /// <summary>Group commits running side by side, each on its own pooled connection: a batch's
    /// round trips and commit overlap the next batch's work.</summary>
    private const int Writers = 4;

    /// <summary>Keys fetched from the sequence per round trip; unused ones are simply skipped
    /// (keys must be unique, not gap-free). A Synthea Bundle needs ~230: a block of 256 cost
    /// nearly every ingest request a round trip of its own; 4,096 serve ~18 Bundles.</summary>
    private const int KeyBlock = 4096;

    /// <summary>From this many rows a group commit's deferred rows of a table go in as one
    /// unnest INSERT: its text is fixed per table, so it stays prepared (auto-prepare), while
    /// a multi-row VALUES text differs with every row count and is parsed and planned anew.</summary>
    private const int DeferredUnnestThreshold = 8;

    private static readonly IReadOnlyList<Migration> s_migrations =
        MigrationRunner.Load(typeof(PostgresFhirStore).Assembly, "Meridian.Storage.Postgres.Migrations.");

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly Lock _keyLock = new();
    private readonly Queue<long> _keys = new();
    private readonly UnnestInserter _bulk = new();
    public PostgresFhirStore(NpgsqlDataSource dataSource, StoreOptions? options = null)
        : this(dataSource, options, ownsDataSource: false)
    {
    }

    private PostgresFhirStore(NpgsqlDataSource dataSource, StoreOptions? options, bool ownsDataSource)
        : base(PostgresDialect.Instance, options, Writers)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _ownsDataSource = ownsDataSource;
    }

    /// <summary>
    /// A store owning a data source built from <paramref name="connectionString"/>. Unless the
    /// connection string says otherwise, Npgsql auto-prepares statements used repeatedly (the
    /// read, head lookup and insert texts are fixed and cached), saving a parse per call.
    /// </summary>
    public static PostgresFhirStore Create(string connectionString, StoreOptions? options = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        return new(NpgsqlDataSource.Create(builder.ConnectionString), options, ownsDataSource: true);
    }

    protected override IReadOnlyList<Migration> Migrations => s_migrations;

    protected override async ValueTask<ConnectionLease> AcquireWriterAsync(CancellationToken ct)
    {
        var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        return new ConnectionLease(connection, connection.DisposeAsync);
    }

    protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

    protected override async Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);

    /// <summary>Keys come from a block fetched in one round trip and shared by all writers.</summary>
    protected override async Task<long[]> AllocateKeysAsync(DbConnection connection, DbTransaction tx, int count, CancellationToken ct)
    {
        if (count == 0)
        {
            return [];
        }
        if (TakeKeys(count) is { } taken)
        {
            return taken;
        }
        var fetch = Math.Max(count, KeyBlock);
        await using var cmd = new NpgsqlCommand("SELECT nextval('resource_keys') FROM generate_series(1, $1)", (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = fetch, NpgsqlDbType = NpgsqlDbType.Integer });
        var fetched = new List<long>(fetch);
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                fetched.Add(reader.GetInt64(0));
            }
        }
        var keys = fetched.GetRange(0, count).ToArray();
        lock (_keyLock)
        {
            foreach (var key in fetched.Skip(count))
            {
                _keys.Enqueue(key);
            }
        }
        return keys;
    }

    private long[]? TakeKeys(int count)
    {
        lock (_keyLock)
        {
            if (_keys.Count < count)
            {
                return null;
            }
            var keys = new long[count];
            for (var i = 0; i < count; i++)
            {
                keys[i] = _keys.Dequeue();
            }
            return keys;
        }
    }

    /// <summary>
    /// Row-level security (migration 0012) compares each row's tenant with these two settings.
    /// Inside a transaction they are transaction-local (<c>set_config(…, true)</c>): they end at
    /// COMMIT or ROLLBACK, so a pooled connection cannot carry them to its next user. Outside one
    /// (reads, single statements) they hold for the session; the store sets them on every
    /// connection it takes before its first statement, and Npgsql's reset on return to the pool
    /// (RESET ALL) clears them for anyone else. An empty tenant matches no row.
    /// </summary>
    protected override async Task EnterScopeAsync(DbConnection connection, DbTransaction? tx, DataScope scope, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT set_config('meridian.tenant', $1, $3), set_config('meridian.scope', $2, $3)", (NpgsqlConnection)connection, (NpgsqlTransaction?)tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope.Kind == DataScopeKind.Tenant ? scope.Tenant : "", NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ScopeSetting(scope.Kind), NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = tx is not null, NpgsqlDbType = NpgsqlDbType.Boolean });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A reader connection's scope goes out in the same round trip as its first statement.
    /// </summary>
    protected override bool ScopesWithFirstStatement => true;

    /// <summary>
    /// <c>CALL meridian_enter_scope(…); statement</c> as one command (migration 0019): Npgsql
    /// sends both statements in one round trip and runs them in order in one implicit
    /// transaction, so row-level security sees the new settings in the statement and, should
    /// the command fail, the settings are rolled back with it. A procedure rather than
    /// <c>SELECT set_config(…)</c> because CALL returns no result set: readers, scalars and row
    /// counts of the command are exactly the statement's own. Session settings, as in
    /// <see cref="EnterScopeAsync"/> without a transaction.
    /// </summary>
    protected override SqlStatement WithScope(DataScope scope, SqlStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var n = statement.Values.Count;
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"CALL meridian_enter_scope(@p{n}, @p{n + 1});\n{statement.Text}");
        return new SqlStatement(text, [.. statement.Values, scope.Kind == DataScopeKind.Tenant ? scope.Tenant : "", ScopeSetting(scope.Kind)]);
    }

    /// <summary>The <c>meridian.scope</c> values the policies of migration 0012 know.</summary>
    internal static string ScopeSetting(DataScopeKind kind) => kind switch
    {
        DataScopeKind.Tenant => "",
        DataScopeKind.Server => "server",
        DataScopeKind.ChangeFeed => "feed",
        DataScopeKind.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        AdvisoryLockAsync(connection, tx, MigrationLock, ct);

    /// <summary>
    /// Identity values are handed out at insert time, not commit time: without this, a reader
    /// could see sequence 11 committed while 10 is still in flight and skip 10 for ever. Taking
    /// one transaction-scoped lock right before the change insert (the last statement before
    /// commit) makes sequence order equal commit order; the lock is held only for the commit.
    /// </summary>
    protected override Task BeforeChangeFeedAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        AdvisoryLockAsync(connection, tx, ChangeFeedLock, ct);

    /// <summary>One lock per tenant (a 64-bit hash of its name): appends of different tenants'
    /// chains never wait for each other; a hash collision only serialises two tenants. A group
    /// commit takes its tenants' locks sorted by name (<see cref="DeferredRows.ChainLocks"/>);
    /// only a collision between two tenants of concurrent batches could invert that order, and
    /// PostgreSQL's deadlock detector then aborts one batch, which is re-run.</summary>
    protected override async Task LockChainAsync(DbConnection connection, DbTransaction tx, string tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ChainLockName(tenant), NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string ChainLockName(string tenant) => "meridian.audit_chain/" + tenant;

    private static async Task AdvisoryLockAsync(DbConnection connection, DbTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Bigint });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>unique_violation (a concurrent writer created the same version or current row),
    /// serialization_failure, deadlock_detected.</summary>
    protected override bool IsTransientConflict(DbException exception) =>
        exception is PostgresException { SqlState: "23505" or "40001" or "40P01" };

    protected override bool IsDeadlock(DbException exception) => exception is PostgresException { SqlState: "40P01" };

    /// <summary>Larger row sets as one <c>unnest</c> INSERT (<see cref="UnnestInserter"/>: no SQL
    /// text per row, no parameter limit, subject to row-level security unlike COPY); small sets
    /// use the shared multi-row INSERT. The change feed keeps INSERT (smallint op).</summary>
    protected override async Task InsertRowsAsync(DbConnection connection, DbTransaction tx, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count < BulkThreshold || table.Name == "changes")
        {
            await base.InsertRowsAsync(connection, tx, table, rows, ct).ConfigureAwait(false);
            return;
        }
        await _bulk.InsertAsync((NpgsqlConnection)connection, (NpgsqlTransaction)tx, table, rows, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Autovacuum analyses a table once 10% of it changed, but on its own schedule (a minute's
    /// nap, then the tables in turn); after a bulk load searches would run on stale estimates in
    /// the meantime, so the store also refreshes them itself as data grows.
    /// </summary>
    protected override string AnalyzeSql => "ANALYZE";

    public async ValueTask DisposeAsync()
    {
        await StopWritingAsync().ConfigureAwait(false);
        await Statistics.IdleAsync().ConfigureAwait(false);
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
