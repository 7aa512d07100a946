namespace Meridian.Storage;

/// <summary>What a change-feed row records. <see cref="Purge"/> replaces every earlier row of a
/// hard-deleted resource (its version is the last one the resource had).</summary>
public enum ChangeKind { Create = 1, Update = 2, Delete = 3, Purge = 4 }

/// <summary>
/// One row of the change feed, written in the same transaction as the version it describes.
/// <see cref="Sequence"/> is global and increases in commit order, so a dispatcher that
/// remembers the last sequence it handled never misses or repeats a change.
/// </summary>
public sealed record ChangeRecord(
    long Sequence,
    string Tenant,
    string Type,
    string Id,
    long VersionId,
    ChangeKind Kind,
    DateTimeOffset Time,
    string? TraceId);
