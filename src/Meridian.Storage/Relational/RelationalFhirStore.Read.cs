using System.Collections.Immutable;
using System.Globalization;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Search;

namespace Meridian.Storage.Relational;

public abstract partial class RelationalFhirStore
{
    /// <summary>
    /// History newest first with a keyset cursor (last_updated, resource_key, version) of the
    /// last entry: later writes sort before the cursor, so they never shift the following pages.
    /// </summary>
    public async Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = StoreTelemetry.Source.StartActivity("store.history");
        activity?.SetTag("meridian.tenant", tenant);
        var count = Math.Clamp(query.Count, 1, Options.MaxPageSize);
        var sql = new SqlBuilder(Dialect);
        var tenantParam = sql.Param(tenant);
        sql.Append($"SELECT {SearchSqlGenerator.ResourceColumns} FROM resources r WHERE r.tenant = {tenantParam}");
        if (query.Type is not null)
        {
            sql.Append(" AND r.type = ").AppendParam(query.Type);
        }
        if (query.Id is not null)
        {
            sql.Append(" AND r.id = ").AppendParam(query.Id);
        }
        if (query.Since is { } since)
        {
            sql.Append(" AND r.last_updated >= ").AppendParam(since.UtcTicks);
        }
        if (query.At is { } at)
        {
            var atParam = sql.Param(at.UtcTicks);
            sql.Append($" AND r.last_updated <= {atParam} AND NOT EXISTS (SELECT 1 FROM resources n WHERE n.tenant = r.tenant AND n.type = r.type AND n.id = r.id AND n.version > r.version AND n.last_updated <= {atParam})");
        }
        if (query.Cursor is not null)
        {
            var (lu, key, version) = ParseHistoryCursor(query.Cursor);
            var luP = sql.Param(lu);
            var keyP = sql.Param(key);
            sql.Append($" AND (r.last_updated < {luP} OR (r.last_updated = {luP} AND (r.resource_key < {keyP} OR (r.resource_key = {keyP} AND r.version < ")
               .AppendParam(version).Append("))))");
        }
        sql.Append(" ORDER BY r.last_updated DESC, r.resource_key DESC, r.version DESC LIMIT ").AppendParam((long)count + 1);
        var keys = new List<long>();
        var rows = await QueryResourcesAsync(tenant, sql.Build(), cancellationToken, keys).ConfigureAwait(false);
        if (rows.Length <= count)
        {
            return new HistoryPage(rows, null);
        }
        var last = rows[count - 1];
        var cursor = string.Create(CultureInfo.InvariantCulture, $"{last.LastUpdated.UtcTicks}.{keys[count - 1]}.{last.VersionId}");
        return new HistoryPage(rows.RemoveAt(count), cursor);
    }

    private static (long, long, long) ParseHistoryCursor(string cursor)
    {
        var parts = cursor.Split('.');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var lu)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new ArgumentException($"'{cursor}' is not a history cursor of this store", nameof(cursor));
        }
        return (lu, key, version);
    }

    /// <summary>
    /// Executes a compiled search: the page, then one statement per include descriptor for the
    /// whole page (iterated includes repeat over what was just included, at most 3 rounds),
    /// then the total if asked. All reads share one connection.
    /// </summary>
    public async Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = StoreTelemetry.Source.StartActivity("store.search");
        activity?.SetTag("meridian.tenant", tenant);
        activity?.SetTag("meridian.type", query.ResourceType);
        var count = Math.Clamp(query.Count, 0, Options.MaxPageSize);
        var sorted = !query.Sort.IsDefaultOrEmpty;
        var (offset, afterKey) = sorted ? (0, null) : ParseSearchCursor(query.Cursor);
        var now = Options.Clock.GetUtcNow();
        await using var connection = await OpenScopedReaderAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        await AwaitDeferredIndexAsync(connection, tenant, query, cancellationToken).ConfigureAwait(false);
        var keys = new List<long>();
        var matches = ImmutableArray<StoredResource>.Empty;
        string? next = null;
        var plan = await PlanSearchAsync(connection, tenant, query, now, cancellationToken).ConfigureAwait(false);
        if (count > 0 && sorted)
        {
            (matches, keys, next) = await SortedPageAsync(connection, tenant, query, count, now, plan, cancellationToken).ConfigureAwait(false);
        }
        else if (count > 0)
        {
            var rows = await QueryResourcesAsync(connection, tenant, _search.Page(tenant, query, offset, count, now, afterKey, plan), cancellationToken, keys).ConfigureAwait(false);
            if (rows.Length > count)
            {
                rows = rows.RemoveAt(count);
                keys.RemoveAt(count);
                next = query.Sort.IsDefaultOrEmpty
                    ? "k" + keys[^1].ToString(CultureInfo.InvariantCulture)
                    : "o" + (offset + count).ToString(CultureInfo.InvariantCulture);
            }
            matches = rows;
        }
        var included = await IncludesAsync(connection, tenant, query, matches, keys, cancellationToken).ConfigureAwait(false);
        long? total = null;
        if (query.Total != TotalMode.None || count == 0)
        {
            await using var cmd = CreateCommand(connection, null, _search.Count(tenant, query, now, plan));
            total = Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        return new SearchResult(matches, included, total, next);
    }

    /// <summary>
    /// Decisions from the data before the page (<see cref="SearchPlan"/>): each top-level
    /// <c>_has</c> whose source driver has fewer index rows than
    /// <see cref="StoreOptions.HasSourceDriveLimit"/> (a bounded count, at most that many index
    /// entries read) drives from its sources. Without it, a source condition that matches
    /// nothing makes the page walk every candidate target and each one's sources.
    /// </summary>
    private async Task<SearchPlan> PlanSearchAsync(System.Data.Common.DbConnection connection, string tenant, SearchQuery query, DateTimeOffset now, CancellationToken ct)
    {
        var dateDriver = await PlanDateDriverAsync(connection, tenant, query, now, ct).ConfigureAwait(false);
        var probes = _search.SourceProbes(tenant, query, Options.HasSourceDriveLimit, now);
        if (probes.Count == 0)
        {
            return dateDriver is null ? SearchPlan.Default : SearchPlan.Default with { DateDriver = dateDriver };
        }
        var driving = ImmutableHashSet.CreateBuilder<Search.Expressions.SearchExpression>();
        foreach (var probe in probes)
        {
            var rows = await ProbeCountAsync(connection, probe.Count, now, ct).ConfigureAwait(false);
            if (rows < probe.Bound)
            {
                driving.Add(probe.Has);
            }
        }
        return new SearchPlan(driving.Count == 0 ? SearchPlan.Default.DrivingSources : driving.ToImmutable()) { DateDriver = dateDriver };
    }

    /// <summary>
    /// The date window that drives the page, if any (<see cref="StoreOptions.DateEnvelopeDriveLimit"/>):
    /// the envelopes overlapping it are counted up to the bound, then the other driver's index
    /// rows up to that count; the date drives when it has fewer candidates and the other
    /// driver's first that-many rows in key order do not already hold a page of window
    /// candidates (that page would stop early). Each count reads at most as many entries as the
    /// envelope page would.
    /// </summary>
    private async Task<DateWindow?> PlanDateDriverAsync(System.Data.Common.DbConnection connection, string tenant, SearchQuery query, DateTimeOffset now, CancellationToken ct)
    {
        if (_search.DateProbe(tenant, query, Options.DateEnvelopeDriveLimit ?? Dialect.DefaultDateEnvelopeDriveLimit, now) is not { } probe)
        {
            return null;
        }
        if (probe.Always)
        {
            return probe.Window;
        }
        var envelopes = await ProbeCountAsync(connection, probe.Count, now, ct).ConfigureAwait(false);
        if (envelopes >= probe.Bound)
        {
            return null;
        }
        if (_search.KeyDriverCount(tenant, query, (int)envelopes + 1, now) is not { } other)
        {
            return probe.Window;
        }
        if (await ProbeCountAsync(connection, other, now, ct).ConfigureAwait(false) <= envelopes)
        {
            return null;
        }
        // The other driver has more rows, but its page stops once it has a page of matches: if
        // its first `envelopes` rows in key order already hold a page of window candidates, it
        // reads no more rows than the envelope would (which reads all of its candidates).
        var needed = Math.Clamp(query.Count, 1, Options.MaxPageSize) + 1;
        if (_search.KeyDriverSample(tenant, query, probe.Window, (int)envelopes, needed, now) is { } sample)
        {
            if (await ProbeCountAsync(connection, sample, now, ct).ConfigureAwait(false) >= needed)
            {
                return null;
            }
        }
        return probe.Window;
    }

    private readonly ProbeCountCache _probeCounts = new();
    private long _probeCacheHits;

    /// <summary>How many plan-choosing counts were answered from the cache (no statement ran).</summary>
    public long PlanProbeCacheHitCount => Interlocked.Read(ref _probeCacheHits);

    /// <summary>A bounded count that chooses the plan (never what matches): reused from
    /// <see cref="ProbeCountCache"/> while fresh (<see cref="StoreOptions.PlanProbeCacheDuration"/>).</summary>
    private async ValueTask<long> ProbeCountAsync(System.Data.Common.DbConnection connection, SqlStatement statement, DateTimeOffset now, CancellationToken ct)
    {
        var ttl = Options.PlanProbeCacheDuration;
        if (ttl > TimeSpan.Zero && _probeCounts.TryGet(statement, now.UtcTicks, out var cached))
        {
            Interlocked.Increment(ref _probeCacheHits);
            StoreTelemetry.PlanProbeCacheHits.Add(1);
            return cached;
        }
        await using var cmd = CreateCommand(connection, null, statement);
        var count = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (ttl > TimeSpan.Zero)
        {
            _probeCounts.Set(statement, count, now.UtcTicks + ttl.Ticks);
        }
        return count;
    }

    private async Task<ImmutableArray<StoredResource>> IncludesAsync(System.Data.Common.DbConnection connection, string tenant, SearchQuery query, ImmutableArray<StoredResource> matches, List<long> keys, CancellationToken ct)
    {
        if (matches.IsEmpty || (query.Includes.IsDefaultOrEmpty && query.RevIncludes.IsDefaultOrEmpty))
        {
            return [];
        }
        var seen = new HashSet<(string, string)>(matches.Select(m => (m.Type, m.Id)));
        var included = ImmutableArray.CreateBuilder<StoredResource>();
        var frontier = matches;
        var frontierKeys = keys;
        for (var round = 0; round < 3 && !frontier.IsEmpty; round++)
        {
            var nextFrontier = ImmutableArray.CreateBuilder<StoredResource>();
            var nextKeys = new List<long>();
            foreach (var include in query.Includes.IsDefault ? [] : query.Includes)
            {
                if (round > 0 && !include.Iterate)
                {
                    continue;
                }
                var newKeys = new List<long>();
                var found = await QueryResourcesAsync(connection, tenant, _search.Include(tenant, include, frontierKeys), ct, newKeys).ConfigureAwait(false);
                Collect(found, newKeys);
            }
            foreach (var include in query.RevIncludes.IsDefault ? [] : query.RevIncludes)
            {
                if (round > 0 && !include.Iterate)
                {
                    continue;
                }
                var newKeys = new List<long>();
                var found = await QueryResourcesAsync(connection, tenant, _search.RevInclude(tenant, include, SearchSqlGenerator.Targets(frontier)), ct, newKeys).ConfigureAwait(false);
                Collect(found, newKeys);
            }
            frontier = nextFrontier.ToImmutable();
            frontierKeys = nextKeys;

            void Collect(ImmutableArray<StoredResource> found, List<long> foundKeys)
            {
                for (var i = 0; i < found.Length; i++)
                {
                    if (seen.Add((found[i].Type, found[i].Id)))
                    {
                        included.Add(found[i]);
                        nextFrontier.Add(found[i]);
                        nextKeys.Add(foundKeys[i]);
                    }
                }
            }
        }
        return included.ToImmutable();
    }

    /// <summary>"k{key}" continues after a surrogate key (default order), "o{n}" at an offset (sorted).</summary>
    private static (int Offset, long? AfterKey) ParseSearchCursor(string? cursor)
    {
        if (cursor is null)
        {
            return (0, null);
        }
        if (cursor.Length > 1 && cursor[0] == 'k' && long.TryParse(cursor.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var key))
        {
            return (0, key);
        }
        if (cursor.Length > 1 && cursor[0] == 'o' && int.TryParse(cursor.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return (offset, null);
        }
        throw new ArgumentException($"'{cursor}' is not a search cursor of this store", nameof(cursor));
    }
}
