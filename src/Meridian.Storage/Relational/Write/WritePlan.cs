using System.Collections.Immutable;
using Meridian.Fhir.Search;

namespace Meridian.Storage.Relational.Write;

/// <summary>The current version of a resource as the transaction found it in the database.</summary>
internal sealed record Head(long Key, long Version, bool Deleted, byte[]? Hash);

/// <summary>One version row to insert. <see cref="IsCurrent"/> is cleared when a later operation
/// of the same transaction writes the same resource again.</summary>
internal sealed class VersionRow(string type, string id, long key, long version, bool deleted, byte[] json, ImmutableArray<SearchIndexEntry> index, ChangeKind kind, byte[]? hash)
{
    public byte[]? Hash { get; } = hash;
    public string Type { get; } = type;
    public string Id { get; } = id;
    public long Key { get; } = key;
    public long Version { get; } = version;
    public bool Deleted { get; } = deleted;
    public byte[] Json { get; } = json;
    public ImmutableArray<SearchIndexEntry> Index { get; } = index;
    public ChangeKind Kind { get; } = kind;
    public bool IsCurrent { get; set; } = true;
}

/// <summary>Everything a transaction writes, computed in memory before any insert, so the
/// flush is a fixed number of set-based statements however many operations there are.</summary>
internal sealed class WritePlan
{
    public List<VersionRow> Rows { get; } = [];

    /// <summary>Keys whose database head this transaction supersedes (demote + drop index rows).</summary>
    public List<long> Superseded { get; } = [];

    public List<WriteResult> Results { get; } = [];

    /// <summary>Positions in <see cref="Results"/> of no-op updates and the key of the current
    /// version they return (read after planning, in one statement).</summary>
    public List<(int Position, long Key)> Unchanged { get; } = [];
}
