using System.Collections.Immutable;

namespace Meridian.Storage;

/// <summary>
/// A history request: instance (<see cref="Type"/> and <see cref="Id"/>), type (<see cref="Type"/>)
/// or system (neither). <see cref="Since"/> keeps versions updated at or after it; <see cref="At"/>
/// keeps, per resource, the version current at that instant. <see cref="Cursor"/> continues a
/// previous page (<see cref="HistoryPage.NextCursor"/>); a cursor pins the newest version seen on
/// the first page, so later writes never shift pages.
/// </summary>
public sealed record HistoryQuery(string? Type = null, string? Id = null)
{
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? At { get; init; }
    public int Count { get; init; } = 50;
    public string? Cursor { get; init; }
}

/// <summary>Versions newest first and the cursor for the next page (null on the last one).</summary>
public sealed record HistoryPage(ImmutableArray<StoredResource> Entries, string? NextCursor);
