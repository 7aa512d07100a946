using System.Text;
using Meridian.Storage.Postgres;
using Meridian.Storage.Protection;
using Meridian.Storage.Sqlite;
using Meridian.Storage.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.Storage.Tests.Protection;

/// <summary>
/// A store with encryption at rest on (a throwaway master key), plus raw access to the database
/// underneath it, so tests can look at and tamper with the bytes the store wrote.
/// </summary>
public abstract class EncryptedStoreFixture : StoreFixture
{
    public MasterKey Master { get; } = MasterKey.Generate();

    /// <summary>Another store over the same database with <paramref name="master"/>; a zero
    /// <paramref name="refresh"/> makes writes notice a rotated data key at once.</summary>
    public abstract IFhirStore Open(MasterKey master, TimeSpan? refresh = null);

    public override IFhirStore OpenAnother(StoreOptions options) =>
        OpenWith(options.Protector is null ? options with { Protector = new EnvelopeProtector(Master) } : options);

    protected abstract IFhirStore OpenWith(StoreOptions options);

    protected StoreOptions Encrypted(MasterKey master, TimeSpan? refresh = null) => new() { Protector = new EnvelopeProtector(master, refresh) };

    /// <summary>The <c>json</c> column of one version, as stored.</summary>
    public abstract Task<byte[]> RawJsonAsync(string tenant, string type, string id, long version);

    /// <summary>Overwrites the <c>json</c> column of one version (an attacker with database access).</summary>
    public abstract Task WriteRawJsonAsync(string tenant, string type, string id, long version, byte[] json);

    /// <summary>Whether <paramref name="needle"/> (UTF-8) occurs anywhere the store keeps
    /// resource payloads, the change feed or keys: the database files themselves for SQLite.</summary>
    public abstract Task<bool> ContainsPlaintextAsync(string needle);
}

public sealed class EncryptedSqliteStoreFixture : EncryptedStoreFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-enc-").FullName;

    public string DatabasePath => Path.Combine(_dir, "meridian.db");

    protected override Task<IFhirStore> CreateAsync() => Task.FromResult<IFhirStore>(new SqliteFhirStore(DatabasePath, Encrypted(Master)));

    public override IFhirStore Open(MasterKey master, TimeSpan? refresh = null) => new SqliteFhirStore(DatabasePath, Encrypted(master, refresh));

    protected override IFhirStore OpenWith(StoreOptions options) => new SqliteFhirStore(DatabasePath, options);

    public override async Task<byte[]> RawJsonAsync(string tenant, string type, string id, long version)
    {
        await using var c = await OpenAsync();
        await using var cmd = Command(c, "SELECT json FROM resources WHERE tenant = $t AND type = $y AND id = $i AND version = $v", tenant, type, id, version);
        return (byte[])(await cmd.ExecuteScalarAsync())!;
    }

    public override async Task WriteRawJsonAsync(string tenant, string type, string id, long version, byte[] json)
    {
        await using var c = await OpenAsync();
        await using var cmd = Command(c, "UPDATE resources SET json = $j WHERE tenant = $t AND type = $y AND id = $i AND version = $v", tenant, type, id, version);
        cmd.Parameters.AddWithValue("$j", json);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    /// <summary>Every page of the database file and its write-ahead log, byte for byte.</summary>
    public override Task<bool> ContainsPlaintextAsync(string needle)
    {
        var pattern = Encoding.UTF8.GetBytes(needle);
        var found = false;
        foreach (var file in Directory.GetFiles(_dir))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            found |= memory.GetBuffer().AsSpan(0, (int)memory.Length).IndexOf(pattern) >= 0;
        }
        return Task.FromResult(found);
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, DefaultTimeout = 30 }.ToString());
        await c.OpenAsync();
        return c;
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, string tenant, string type, string id, long version)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$t", tenant);
        cmd.Parameters.AddWithValue("$y", type);
        cmd.Parameters.AddWithValue("$i", id);
        cmd.Parameters.AddWithValue("$v", version);
        return cmd;
    }

    protected override Task DestroyAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class EncryptedPostgresStoreFixture : EncryptedStoreFixture
{
    private PostgresTestDatabase? _database;

    private string ConnectionString => _database!.ConnectionString;

    protected override async Task<IFhirStore> CreateAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return PostgresFhirStore.Create(ConnectionString, Encrypted(Master));
    }

    public override IFhirStore Open(MasterKey master, TimeSpan? refresh = null) => PostgresFhirStore.Create(ConnectionString, Encrypted(master, refresh));

    protected override IFhirStore OpenWith(StoreOptions options) => PostgresFhirStore.Create(ConnectionString, options);

    public override async Task<byte[]> RawJsonAsync(string tenant, string type, string id, long version)
    {
        await using var c = new NpgsqlConnection(_database!.AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = Command(c, "SELECT json FROM resources WHERE tenant = @t AND type = @y AND id = @i AND version = @v", tenant, type, id, version);
        return (byte[])(await cmd.ExecuteScalarAsync())!;
    }

    public override async Task WriteRawJsonAsync(string tenant, string type, string id, long version, byte[] json)
    {
        await using var c = new NpgsqlConnection(_database!.AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = Command(c, "UPDATE resources SET json = @j WHERE tenant = @t AND type = @y AND id = @i AND version = @v", tenant, type, id, version);
        cmd.Parameters.AddWithValue("j", json);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    /// <summary>The payload bytes of every version, and every other column of the resource,
    /// change-feed and key tables as text.</summary>
    public override async Task<bool> ContainsPlaintextAsync(string needle)
    {
        await using var c = new NpgsqlConnection(_database!.AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM resources r WHERE position(convert_to(@n, 'UTF8') in r.json) > 0 OR strpos(r::text, @n) > 0)
                 + (SELECT count(*) FROM changes c WHERE strpos(c::text, @n) > 0)
                 + (SELECT count(*) FROM data_keys k WHERE strpos(k::text, @n) > 0)
            """, c);
        cmd.Parameters.AddWithValue("n", needle);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, string sql, string tenant, string type, string id, long version)
    {
        var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("y", type);
        cmd.Parameters.AddWithValue("i", id);
        cmd.Parameters.AddWithValue("v", version);
        return cmd;
    }

    protected override async Task DestroyAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
