using System.Data.Common;
using Meridian.Fhir.Serialization;
using Meridian.Storage.Postgres;
using Meridian.Storage.Relational;
using Meridian.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.Storage.Tests.Envelope;

/// <summary>
/// Migration 0021 on a database upgraded from before it: the envelopes it computes in SQL
/// from the existing date rows are exactly those the write path writes (same min/max, same
/// span class), for current versions only, and searches driven by them return what the
/// code-driven plan returns.
/// </summary>
public abstract class EnvelopeBackfillTests
{
    private const string Tenant = "t1";

    /// <summary>A store over a fresh database, and a way to run SQL on it past row-level security.</summary>
    protected abstract Task<(IFhirStore Store, Func<DbConnection> Admin, IAsyncDisposable Cleanup)> OpenAsync(StoreOptions options);

    /// <summary>A store with other options over the same database as the last <see cref="OpenAsync"/>.</summary>
    protected abstract IFhirStore Reopen(StoreOptions options);

    [Fact]
    public async Task The_backfill_matches_the_write_path_on_an_upgraded_database()
    {
        var (store, admin, cleanup) = await OpenAsync(new StoreOptions());
        await using (cleanup)
        {
            await store.MigrateAsync();
            var ops = DateEnvelopeFixture.Observations
                .Select(o => Update(DateEnvelopeFixture.Json(o.Id, o.Code, o.Effective)))
                .Append(Update("""{"resourceType":"Patient","id":"p1","birthDate":"1970","deceasedDateTime":"2015-06-03"}"""))
                .ToList();
            Assert.True((await store.TransactAsync(Tenant, ops)).Succeeded);
            Assert.True((await store.TransactAsync(Tenant, [new DeleteOperation("Observation", "o05")])).Succeeded);
            Assert.True((await store.TransactAsync(Tenant, [Update(DateEnvelopeFixture.Json("o06", "a", "\"effectiveDateTime\":\"2019\""))])).Succeeded);
            var written = await EnvelopesAsync(admin);

            // The database as it was before 0021: date rows, no envelopes, version 20. The later
            // migrations run again with it, so this test also holds them to being re-runnable.
            await ExecuteAsync(admin, "DROP TABLE date_envelope");
            await ExecuteAsync(admin, "DELETE FROM schema_version WHERE version >= 21");
            await store.MigrateAsync();
            var backfilled = await EnvelopesAsync(admin);

            Assert.Equal(written, backfilled);
            // One per (resource, date parameter) that has dates: 37 current Observations with
            // effective[x], the Patient's birthdate and death-date; none for the deleted one.
            Assert.Equal(39, backfilled.Count);
            Assert.Contains(backfilled, e => e.EndsWith($"|{DateEnvelopes.LastClass}", StringComparison.Ordinal));
            Assert.True(backfilled.Select(e => e[(e.LastIndexOf('|') + 1)..]).Distinct().Count() >= 4, "span classes");

            var query = DateEnvelopePlanTests.Parse("code=a&date=ge2015-06-01&date=lt2015-07-01") with { Count = 100 };
            var dateStore = Reopen(new StoreOptions { DateEnvelopeDriveLimit = int.MaxValue });
            var codeStore = Reopen(new StoreOptions { DateEnvelopeDriveLimit = 0 });
            var fromDate = await dateStore.SearchAsync(Tenant, query);
            var fromCode = await codeStore.SearchAsync(Tenant, query);
            foreach (var s in new[] { store, dateStore, codeStore })
            {
                if (s is IAsyncDisposable d)
                {
                    await d.DisposeAsync();
                }
            }
            Assert.Equal(fromCode.Matches.Select(m => m.Id), fromDate.Matches.Select(m => m.Id));
            Assert.Equal("o08,o09,o11,o25,o26,o29,o30,o32,o35,o36,o38", string.Join(",", fromDate.Matches.Select(m => m.Id)));
        }
    }

    private static UpdateOperation Update(string json)
    {
        var resource = FhirJsonParser.R4.Parse(json).Resource!;
        return new UpdateOperation(resource.TypeName, resource.ResourceId!, ResourceContent.From(resource));
    }

    /// <summary>Every envelope as "type|param|resource_key|low|high|span_class", sorted.</summary>
    private static async Task<List<string>> EnvelopesAsync(Func<DbConnection> admin)
    {
        await using var c = admin();
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT type, param, resource_key, low, high, span_class FROM date_envelope WHERE tenant = 't1'";
        var rows = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetInt64(2)}|{reader.GetInt64(3)}|{reader.GetInt64(4)}|{Convert.ToInt32(reader.GetValue(5), System.Globalization.CultureInfo.InvariantCulture)}");
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static async Task ExecuteAsync(Func<DbConnection> admin, string sql)
    {
        await using var c = admin();
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }
}

public sealed class SqliteEnvelopeBackfillTests : EnvelopeBackfillTests
{
    private string _path = "";

    protected override Task<(IFhirStore, Func<DbConnection>, IAsyncDisposable)> OpenAsync(StoreOptions options)
    {
        var dir = Directory.CreateTempSubdirectory("meridian-backfill-").FullName;
        _path = Path.Combine(dir, "backfill.db");
        var path = _path;
        return Task.FromResult<(IFhirStore, Func<DbConnection>, IAsyncDisposable)>((
            new SqliteFhirStore(path, options),
            () => new SqliteConnection($"Data Source={path}"),
            new Cleanup(() =>
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(dir, recursive: true);
                return Task.CompletedTask;
            })));
    }

    protected override IFhirStore Reopen(StoreOptions options) => new SqliteFhirStore(_path, options);
}

public sealed class PostgresEnvelopeBackfillTests : EnvelopeBackfillTests
{
    private string _connection = "";

    protected override async Task<(IFhirStore, Func<DbConnection>, IAsyncDisposable)> OpenAsync(StoreOptions options)
    {
        var database = await PostgresTestDatabase.CreateAsync();
        _connection = database.ConnectionString;
        return (PostgresFhirStore.Create(database.ConnectionString, options), () => new NpgsqlConnection(database.AdminConnectionString), database);
    }

    protected override IFhirStore Reopen(StoreOptions options) => PostgresFhirStore.Create(_connection, options);
}

internal sealed class Cleanup(Func<Task> dispose) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await dispose();
}
