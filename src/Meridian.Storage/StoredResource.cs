namespace Meridian.Storage;

/// <summary>
/// One stored version of a resource. <see cref="Json"/> is the resource exactly as stored,
/// with <c>id</c>, <c>meta.versionId</c> and <c>meta.lastUpdated</c> stamped by the store, so
/// a read returns bytes without re-serialising. A delete is a version too
/// (<see cref="IsDeleted"/>, empty <see cref="Json"/>) so history keeps it.
/// </summary>
public sealed record StoredResource(
    string Tenant,
    string Type,
    string Id,
    long VersionId,
    DateTimeOffset LastUpdated,
    bool IsDeleted,
    ReadOnlyMemory<byte> Json)
{
    /// <summary>The version as FHIR writes it in ETags and <c>meta.versionId</c>.</summary>
    public string VersionText => VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
