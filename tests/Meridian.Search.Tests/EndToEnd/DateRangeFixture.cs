using Meridian.Storage;
using Meridian.Storage.Sqlite;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// Observations whose effective ranges sit on, across and open past the boundaries the date
/// tests search for, plus a Goal with two target dates (a multi-valued date parameter). "Now" is
/// pinned to 2020-02-20 so <c>ap</c> has a fixed window (±1 day, its minimum).
/// </summary>
public sealed class DateRangeFixture : IAsyncLifetime
{
    public const string Tenant = "dates";

    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-searchdates-").FullName;

    public SqliteFhirStore Store { get; private set; } = null!;

    /// <summary>The database file, for EXPLAIN QUERY PLAN on the migrated schema.</summary>
    public string DatabasePath => Path.Combine(_dir, "dates.db");

    private static string Obs(string id, string code, string effective) =>
        $$"""{"resourceType":"Observation","id":"{{id}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{code}}"}]},"subject":{"reference":"Patient/p1"},{{effective}}}""";

    private static readonly string[] s_resources =
    [
        """{"resourceType":"Patient","id":"p1"}""",
        Obs("overlap", "8302-2", "\"effectivePeriod\":{\"start\":\"2020-01-15\",\"end\":\"2020-02-15\"}"),
        Obs("inside", "8302-2", "\"effectivePeriod\":{\"start\":\"2020-02-10\",\"end\":\"2020-02-20\"}"),
        Obs("openend", "8302-2", "\"effectivePeriod\":{\"start\":\"2020-02-25\"}"),
        Obs("openstart", "8302-2", "\"effectivePeriod\":{\"end\":\"2020-01-05\"}"),
        Obs("boundary", "8302-2", "\"effectiveDateTime\":\"2020-03-01T00:00:00Z\""),
        Obs("day", "8302-2", "\"effectiveDateTime\":\"2019-12-31\""),
        Obs("othercode", "29463-7", "\"effectivePeriod\":{\"start\":\"2020-02-10\",\"end\":\"2020-02-20\"}"),
        """{"resourceType":"Goal","id":"g1","lifecycleStatus":"active","description":{"text":"x"},"subject":{"reference":"Patient/p1"},"target":[{"dueDate":"2020-01-01"},{"dueDate":"2020-12-31"}]}""",
    ];

    public async Task InitializeAsync()
    {
        Store = new SqliteFhirStore(DatabasePath, new StoreOptions { Clock = new FixedClock(new DateTimeOffset(2020, 2, 20, 0, 0, 0, TimeSpan.Zero)) });
        await Store.MigrateAsync();
        await StoreSeed.WriteAsync(Store, Tenant, s_resources);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
