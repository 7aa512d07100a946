namespace Meridian.Storage;

/// <summary>
/// One write inside <see cref="IFhirStore.TransactAsync"/>. Conditional create/update/delete
/// are a search followed by one of these at a higher layer: the store stays narrow.
/// </summary>
public abstract record WriteOperation(string Type);

/// <summary>Create with a server-assigned id (<paramref name="Id"/> null) or a client id
/// (fails with <see cref="StoreFailureKind.AlreadyExists"/> if the resource exists and is not deleted).</summary>
public sealed record CreateOperation(string Type, ResourceContent Content, string? Id = null) : WriteOperation(Type)
{
    /// <summary>Conditional create: the normalised If-None-Exist criteria, claimed in the same
    /// transaction (unique per tenant and type, across processes). A claim held by another
    /// resource fails with <see cref="StoreFailureKind.ConditionalKeyTaken"/>.</summary>
    public string? ConditionalKey { get; init; }

    /// <summary>Take the claim over from this holder (the caller found it no longer matches);
    /// compare-and-swap, so of several callers only one succeeds.</summary>
    public string? TakeOverFrom { get; init; }

    /// <summary>
    /// The caller generated <see cref="CreateOperation.Id"/> itself as a fresh random (UUID)
    /// id, as the server does for every create: no resource can have it yet, so the store
    /// neither reads nor locks a current version for it, and such a create (without a
    /// conditional key) goes in with the group commit's deferred rows like a create without an
    /// id. Should the id exist after all, the insert's unique index fails the batch, never
    /// overwrites.
    /// </summary>
    public bool FreshId { get; init; }
}

/// <summary>
/// Update (or create, when <see cref="AllowCreate"/> and the id is new). <see cref="IfMatch"/>
/// is the version the caller last saw; a different current version fails with
/// <see cref="StoreFailureKind.PreconditionFailed"/>. An update whose JSON bytes equal those the
/// current version was written from is <see cref="WriteOutcome.NoChange"/> (no new version, no
/// change row), so re-delivered messages with deterministic ids are idempotent.
/// </summary>
public sealed record UpdateOperation(string Type, string Id, ResourceContent Content, long? IfMatch = null) : WriteOperation(Type)
{
    public bool AllowCreate { get; init; } = true;
}

/// <summary>Delete: writes a deleted version (history keeps every earlier one). Deleting a
/// missing or already deleted resource changes nothing and succeeds (FHIR allows 200/204 there),
/// unless <see cref="IfMatch"/> is given.</summary>
public sealed record DeleteOperation(string Type, string Id, long? IfMatch = null) : WriteOperation(Type);
