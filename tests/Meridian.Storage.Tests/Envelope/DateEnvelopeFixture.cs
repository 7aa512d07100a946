using Meridian.Fhir.Serialization;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Storage.Tests.Envelope;

/// <summary>
/// Observations for the two drivers of a code+date search (docs/adr/0011-search-sql-shapes.md,
/// second addendum): per store, one instance that drives from the date envelope whenever a
/// window exists, one that never does, and one that decides from its counts, over the same
/// database. The data holds what the two plans could disagree on: several date rows per
/// resource (Timing) with none inside the window, Periods starting long before it, open-ended
/// Periods, year- and month-precision dates, deleted and updated resources.
/// </summary>
public abstract class DateEnvelopeFixture : IAsyncLifetime
{
    public const string Tenant = "t1";

    public IFhirStore FromDate { get; private set; } = null!;

    public IFhirStore FromCode { get; private set; } = null!;

    public IFhirStore Auto { get; private set; } = null!;

    protected static StoreOptions DateOptions { get; } = new() { DateEnvelopeDriveLimit = int.MaxValue };

    protected static StoreOptions CodeOptions { get; } = new() { DateEnvelopeDriveLimit = 0 };

    protected static StoreOptions AutoOptions { get; } = new();

    protected abstract Task<(IFhirStore FromDate, IFhirStore FromCode, IFhirStore Auto)> OpenAsync();

    protected abstract Task CloseAsync();

    /// <summary>(id, code, effective[x] JSON) of every Observation written first.</summary>
    public static IReadOnlyList<(string Id, string Code, string Effective)> Observations { get; } = Build();

    private static List<(string, string, string)> Build()
    {
        var list = new List<(string, string, string)>();
        var n = 0;
        void Add(string code, string effective) => list.Add(("o" + (++n).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), code, effective));
        // Instants across May..August 2015, both codes.
        for (var day = 0; day < 24; day++)
        {
            var at = new DateTime(2015, 5, 20, 10, 30, 0, DateTimeKind.Utc).AddDays(day * 4);
            Add(day % 3 == 0 ? "b" : "a", $$"""
                "effectiveDateTime":"{{at:yyyy-MM-ddTHH:mm:ss}}Z"
                """);
        }
        Add("a", "\"effectiveDateTime\":\"2015\"");                                       // year precision
        Add("a", "\"effectiveDateTime\":\"2015-06\"");                                    // month precision
        Add("b", "\"effectiveDateTime\":\"2015-06-30\"");                                 // day precision, last day
        Add("a", "\"effectiveDateTime\":\"2015-07-01\"");                                 // the day after
        Add("a", "\"effectivePeriod\":{\"start\":\"2010-01-01\",\"end\":\"2015-06-02\"}");  // starts years before
        Add("a", "\"effectivePeriod\":{\"start\":\"1990-03-01\",\"end\":\"2030-01-01\"}");  // spans everything
        Add("b", "\"effectivePeriod\":{\"start\":\"2015-06-20\"}");                        // open end
        Add("a", "\"effectivePeriod\":{\"end\":\"2015-06-05\"}");                          // open start
        Add("a", "\"effectivePeriod\":{\"end\":\"2015-05-05\"}");                          // open start, ends before
        Add("a", "\"effectivePeriod\":{\"start\":\"2001-01-01\",\"end\":\"2002-01-01\"}");  // long, long before
        // Timing: several date rows; none inside June, one before and one after it.
        Add("a", "\"effectiveTiming\":{\"event\":[\"2015-05-01T08:00:00Z\",\"2015-08-01T08:00:00Z\"]}");
        Add("a", "\"effectiveTiming\":{\"event\":[\"2015-06-11T08:00:00Z\",\"2015-06-12T08:00:00Z\",\"2019-01-01\"]}");
        Add("b", "\"effectiveTiming\":{\"event\":[\"2014-01-01\",\"2016-01-01\"]}");
        Add("a", "\"effectiveDateTime\":\"2015-06-15T12:00:00+14:00\"");                  // zone far from UTC
        return list;
    }

    /// <summary>Deleted after the first write (its June date must not match).</summary>
    public const string Deleted = "o05";

    /// <summary>Updated from a June instant to 2019 (only the current version's envelope counts).</summary>
    public const string Moved = "o06";

    /// <summary>Updated from 2013 into June.</summary>
    public const string MovedIn = "o40";

    public async Task InitializeAsync()
    {
        (FromDate, FromCode, Auto) = await OpenAsync();
        await FromDate.MigrateAsync();
        await WriteAsync(Observations.Select(o => Json(o.Id, o.Code, o.Effective))
            .Append(Json(MovedIn, "a", "\"effectiveDateTime\":\"2013-02-02\"")));
        var result = await FromDate.TransactAsync(Tenant, [new DeleteOperation("Observation", Deleted)]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        await WriteAsync([
            Json(Moved, "a", "\"effectiveDateTime\":\"2019-03-03T00:00:00Z\""),
            Json(MovedIn, "a", "\"effectiveDateTime\":\"2015-06-09T09:00:00Z\""),
        ]);
    }

    public static string Json(string id, string code, string effective) =>
        $$"""{"resourceType":"Observation","id":"{{id}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{code}}"}]},{{effective}}}""";

    private async Task WriteAsync(IEnumerable<string> resources)
    {
        var ops = new List<WriteOperation>();
        foreach (var json in resources)
        {
            var resource = FhirJsonParser.R4.Parse(json).Resource!;
            ops.Add(new UpdateOperation(resource.TypeName, resource.ResourceId!, ResourceContent.From(resource)));
        }
        var result = await FromDate.TransactAsync(Tenant, ops);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in new[] { FromDate, FromCode, Auto })
        {
            if (store is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
        await CloseAsync();
    }
}

public sealed class SqliteDateEnvelopeFixture : DateEnvelopeFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-envelope-").FullName;

    protected override Task<(IFhirStore, IFhirStore, IFhirStore)> OpenAsync()
    {
        var path = Path.Combine(_dir, "envelope.db");
        return Task.FromResult<(IFhirStore, IFhirStore, IFhirStore)>((new SqliteFhirStore(path, DateOptions), new SqliteFhirStore(path, CodeOptions), new SqliteFhirStore(path, AutoOptions)));
    }

    protected override Task CloseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresDateEnvelopeFixture : DateEnvelopeFixture
{
    private PostgresTestDatabase? _database;

    protected override async Task<(IFhirStore, IFhirStore, IFhirStore)> OpenAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var cs = _database.ConnectionString;
        return (PostgresFhirStore.Create(cs, DateOptions), PostgresFhirStore.Create(cs, CodeOptions), PostgresFhirStore.Create(cs, AutoOptions));
    }

    protected override async Task CloseAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
