using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// The answers of the bounded counts that choose a search's plan (<see cref="SourceProbe"/>,
/// <see cref="DateProbe"/>, the other driver's count and sample), per statement and parameter
/// values, for <see cref="StoreOptions.PlanProbeCacheDuration"/>. They decide only which side
/// drives the page, never what matches (both plans give the same rows and cursors), so an
/// answer a few seconds old costs at most a slower plan while the data shifts -- and saves one
/// to three statements (up to the bound of index entries each) on every repeated search.
/// One per store instance; bounded: when full it starts again empty.
/// </summary>
internal sealed class ProbeCountCache
{
    /// <summary>Distinct probes kept at most; a search mix this varied mostly misses anyway.</summary>
    public const int Capacity = 8192;

    private readonly ConcurrentDictionary<string, (long Count, long ExpiresTicks)> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>The cached answer of <paramref name="statement"/> if still fresh at <paramref name="nowTicks"/>.</summary>
    public bool TryGet(SqlStatement statement, long nowTicks, out long count)
    {
        if (_entries.TryGetValue(Key(statement), out var entry) && entry.ExpiresTicks > nowTicks)
        {
            count = entry.Count;
            return true;
        }
        count = 0;
        return false;
    }

    public void Set(SqlStatement statement, long count, long expiresTicks)
    {
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }
        _entries[Key(statement)] = (count, expiresTicks);
    }

    /// <summary>The statement text and each bound value with its type (1 and "1" differ).</summary>
    private static string Key(SqlStatement statement)
    {
        var key = new StringBuilder(statement.Text.Length + 16 * statement.Values.Count).Append(statement.Text);
        foreach (var value in statement.Values)
        {
            key.Append('\u001f').Append(value?.GetType().Name).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
        }
        return key.ToString();
    }
}
