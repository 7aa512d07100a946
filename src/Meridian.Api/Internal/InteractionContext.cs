using Meridian.Api.Authorization;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Validation;
using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>Everything an interaction needs besides the request: the store, the search parser,
/// the validator and the options. Immutable; one per <see cref="FhirApi"/>.</summary>
internal sealed record InteractionContext(
    IFhirStore Store,
    ISearchQueryParser SearchParser,
    FhirValidator Validator,
    FhirApiOptions Options)
{
    public FhirSpec Spec => Validator.Spec;

    /// <summary>The store without the caller's access applied (authorization's own checks use it).</summary>
    public IFhirStore UnfilteredStore { get; init; } = Store;

    /// <summary>The caller's access in this request (null only outside a request).</summary>
    public AccessPolicy? Access { get; init; }

    /// <summary>This context for one request under <paramref name="access"/>: the store is seen through it.</summary>
    public InteractionContext ForAccess(AccessPolicy access) => this with
    {
        Access = access,
        Store = access.IsUnrestricted ? UnfilteredStore : new AuthorizingStore(UnfilteredStore, access, SearchParser),
    };

    /// <summary>Makes search-then-write of conditional interactions atomic within this process.</summary>
    public ConditionalLocks Locks { get; } = new();

    /// <summary>A new server id: a version-7 GUID (time ordered, so inserts stay local in the
    /// id index; URL safe and within FHIR's 64-character id limit).</summary>
    public static string NewId() => Guid.CreateVersion7().ToString();
}
