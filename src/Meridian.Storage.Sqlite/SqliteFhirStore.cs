using System.Data.Common;
using Meridian.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace Meridian.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite database file in WAL mode. All writes go through a single
/// writer connection, one transaction at a time (SQLite allows one writer anyway; queuing in
/// process is cheaper than busy-waiting on the file lock); reads use pooled connections and,
/// thanks to WAL, never wait for the writer.
/// <para>Durability: <c>synchronous=FULL</c> fsyncs the WAL at every commit, so an acknowledged
/// write survives a process kill and also an OS crash or power loss. (<c>NORMAL</c> would
/// survive the process kill only; clinical data accepted must not vanish.) Batching many
/// resources per transaction amortises the fsync.</para>
/// </summary>
public sealed class SqliteFhirStore : RelationalFhirStore, IAsyncDisposable, IModuleGroupCommit
{
    /// <summary>Module writes (the subscription queue) share the data's fsync on the single writer;
    /// SQLite has no data scopes, so the server-wide tenant's place in the batch is as good as any.</summary>
    Task<long?> IModuleGroupCommit.InGroupCommitAsync(Func<DbConnection, DbTransaction, CancellationToken, Task<long?>> work, CancellationToken cancellationToken) =>
        InGroupCommitAsync("", work, cancellationToken);

    private static readonly IReadOnlyList<Migration> s_migrations =
        MigrationRunner.Load(typeof(SqliteFhirStore).Assembly, "Meridian.Storage.Sqlite.Migrations.");

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerLock = new(1, 1);
    private SqliteConnection? _writer;
    /// <summary>Prepared single-row INSERTs on the writer connection, one per table, reused by
    /// every transaction (used only under the writer lock).</summary>
    private readonly Dictionary<string, (SqliteCommand Command, SqliteParameter[] Parameters)> _inserts = new(StringComparer.Ordinal);
    /// <summary>The same INSERTs as raw prepared statements (<see cref="SqliteRowInserter"/>), the fast path.</summary>
    private readonly Dictionary<string, SqliteRowInserter> _rawInserts = new(StringComparer.Ordinal);
    private long _lastKey;
    private DbTransaction? _keyTransaction;
    private readonly CancellationTokenSource _stopCheckpoints = new();
    private Task? _checkpointer;

    /// <param name="path">The database file (created if missing).</param>
    public SqliteFhirStore(string path, StoreOptions? options = null)
        : base(SqliteDialect.Instance, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    protected override IReadOnlyList<Migration> Migrations => s_migrations;

    protected override async ValueTask<ConnectionLease> AcquireWriterAsync(CancellationToken ct)
    {
        await _writerLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _writer ??= await OpenWriterAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            _writerLock.Release();
            throw;
        }
        return new ConnectionLease(_writer, () =>
        {
            _writerLock.Release();
            return ValueTask.CompletedTask;
        });
    }

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        // WAL: readers never block the writer nor it them. FULL: see the class comment.
        // cache_size: 64 MiB of page cache (default 2 MiB) keeps the upper levels of the ~25 index
        // B-trees in memory while a bulk load inserts into all of them; memory only, durability
        // unchanged.
        // optimize=0x10002 refreshes planner statistics where they are stale: without them SQLite
        // scans all resources of a type instead of starting from the selective index sub-query.
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384; PRAGMA optimize=0x10002;";
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        using (ExecutionContext.SuppressFlow())
        {
            _checkpointer ??= Task.Run(() => CheckpointLoopAsync(_stopCheckpoints.Token), CancellationToken.None);
        }
        return connection;
    }

    /// <summary>
    /// Copies committed WAL pages into the database file twice a second on its own connection.
    /// A PASSIVE checkpoint runs beside the writer without blocking it or readers, so the
    /// checkpoint's writes and fsyncs leave the commit path (otherwise the commit that crosses
    /// <c>wal_autocheckpoint</c> does them while every waiter of its group commit waits; that
    /// limit stays as a backstop). Durability is unchanged: commits still fsync the WAL, and a
    /// checkpoint fsyncs the database before the WAL is reused.
    /// </summary>
    private async Task CheckpointLoopAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(PASSIVE);";
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Busy or locked by another process: the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Store disposed.
        }
    }

    protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>BEGIN IMMEDIATE: takes the write lock up front, so a second process sharing the
    /// file waits here instead of failing at its first write.</summary>
    protected override async Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken ct) =>
        await ((SqliteConnection)connection).BeginTransactionAsync(ct).ConfigureAwait(false);

    /// <summary>Keys continue from the largest in the file (indexed, O(log n)); the counter covers
    /// several allocations inside one transaction before any row is inserted.</summary>
    protected override async Task<long[]> AllocateKeysAsync(DbConnection connection, DbTransaction tx, int count, CancellationToken ct)
    {
        if (count == 0)
        {
            return [];
        }
        // Within one write transaction (which holds SQLite's write lock) nobody else can insert:
        // the maximum is read once per transaction, later allocations continue from the counter.
        var start = _lastKey + 1;
        if (!ReferenceEquals(tx, _keyTransaction))
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT coalesce(max(resource_key), 0) FROM resources";
            var max = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            start = Math.Max(max, _lastKey) + 1;
            _keyTransaction = tx;
        }
        var keys = new long[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = start + i;
        }
        _lastKey = start + count - 1;
        return keys;
    }

    /// <summary>
    /// In-process SQLite has no round trips to save, and binding thousands of named parameters
    /// to one multi-row statement is quadratic (SQLite looks names up linearly), so each table
    /// gets one prepared single-row INSERT re-executed with new values: the fastest SQLite path.
    /// </summary>
    protected override async Task InsertRowsAsync(DbConnection connection, DbTransaction tx, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        if (!_inserts.TryGetValue(table.Name, out var insert))
        {
            var cmd = (SqliteCommand)connection.CreateCommand();
            cmd.CommandText = $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})";
            var created = new SqliteParameter[table.Columns.Length];
            for (var i = 0; i < created.Length; i++)
            {
                created[i] = cmd.Parameters.Add(new SqliteParameter { ParameterName = "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
            insert = (cmd, created);
            _inserts[table.Name] = insert;
        }
        var (command, parameters) = insert;
        // Both prepared forms belong to the writer connection they were made on. The command
        // refused another connection's transaction at execution; the raw statement would not
        // notice and write outside the caller's transaction, so the check is explicit.
        if (!ReferenceEquals(command.Connection, connection))
        {
            throw new InvalidOperationException($"Rows of {table.Name} are written only on the store's writer connection.");
        }
        command.Transaction = (SqliteTransaction)tx;
        if (!_rawInserts.TryGetValue(table.Name, out var inserter))
        {
            inserter = new SqliteRowInserter((SqliteConnection)connection, command.CommandText, parameters.Length);
            _rawInserts[table.Name] = inserter;
        }
        // Microsoft.Data.Sqlite runs every "async" call synchronously anyway (SQLite is in-process,
        // there is no I/O to await), so the async form only adds a Task per row; a Synthea Bundle
        // writes several thousand rows. The synchronous call blocks no more than the async one did.
        for (var r = 0; r < rows.Count; r++)
        {
            if ((r & 255) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            var row = rows[r];
            if (inserter.TryInsert(row))
            {
                continue;
            }
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i].Value = row[i] ?? DBNull.Value;
            }
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Only another process holding the file lock past the busy timeout gets here.</summary>
    protected override bool IsTransientConflict(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 };

    /// <summary>
    /// ANALYZE with a sampling limit: about a second on a 1 GB file, so it can run in the
    /// background as data grows (<see cref="RelationalFhirStore.Statistics"/>). A bare
    /// <c>PRAGMA optimize</c> on the writer did nothing: it only analyses tables the same
    /// connection has queried, and the writer runs no searches.
    /// </summary>
    protected override string AnalyzeSql => "PRAGMA analysis_limit=1000; ANALYZE;";

    /// <summary>Refreshes planner statistics now (hosts and the load harness after a bulk load).</summary>
    public async Task OptimizeAsync(CancellationToken cancellationToken = default)
    {
        await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = lease.Connection.CreateCommand();
        cmd.CommandTimeout = 600;
        cmd.CommandText = AnalyzeSql;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopWritingAsync().ConfigureAwait(false);
        await Statistics.IdleAsync().ConfigureAwait(false);
        await _stopCheckpoints.CancelAsync().ConfigureAwait(false);
        if (_checkpointer is not null)
        {
            await _checkpointer.ConfigureAwait(false);
        }
        _stopCheckpoints.Dispose();
        if (_writer is not null)
        {
            await using (var cmd = _writer.CreateCommand())
            {
                cmd.CommandText = "PRAGMA optimize;";
                await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            foreach (var inserter in _rawInserts.Values)
            {
                inserter.Dispose();
            }
            _rawInserts.Clear();
            foreach (var (command, _) in _inserts.Values)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
            _inserts.Clear();
            await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
        }
        _writerLock.Dispose();
        // Pooled reader connections keep the file open; release them so it can be moved or deleted.
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
    }
}
