using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;

namespace Meridian.Storage;

/// <summary>
/// What a write stores: the resource JSON and its search index values, both produced by the
/// caller (who already holds the parsed tree), so the store never parses or evaluates FHIRPath.
/// </summary>
public sealed record ResourceContent(ReadOnlyMemory<byte> Json, ImmutableArray<SearchIndexEntry> Index)
{
    /// <summary>Serialises <paramref name="resource"/> and extracts its index values with the R4 indexer.</summary>
    public static ResourceContent From(FhirNode resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new ResourceContent(FhirJsonWriter.ToUtf8(resource), SearchIndexer.R4.Extract(resource));
    }

    /// <summary>
    /// Content whose index values the store computes itself from the stored JSON (a default
    /// <see cref="Index"/>): the background indexer of a <see cref="StoreOptions.DeferredIndexTypes"/>
    /// type, else the write path (parse and extract there). For writers that hold only bytes
    /// (the audit trail), so the request path neither parses nor extracts.
    /// </summary>
    public static ResourceContent Unindexed(ReadOnlyMemory<byte> json) => new(json, default);

    /// <summary>False for <see cref="Unindexed"/> content.</summary>
    public bool IsIndexed => !Index.IsDefault;
}
