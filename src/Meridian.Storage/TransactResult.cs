using System.Collections.Immutable;

namespace Meridian.Storage;

/// <summary>What a write did to its resource. <see cref="Purged"/> appears only in the
/// <see cref="TransactionContext"/> a purge shows its contributors (every version removed).</summary>
public enum WriteOutcome { Created, Updated, Deleted, NoChange, Purged }

/// <summary>The result of one operation: the new version (metadata and stamped JSON), or for
/// <see cref="WriteOutcome.NoChange"/> the current state if any.</summary>
public sealed record WriteResult(int Index, WriteOutcome Outcome, string Type, string Id, StoredResource? Resource);

/// <summary>Expected reasons a transaction does not commit. Never thrown: returned.</summary>
public enum StoreFailureKind
{
    /// <summary>IfMatch named a version that is not the current one (HTTP 412).</summary>
    PreconditionFailed,
    /// <summary>The resource does not exist (HTTP 404).</summary>
    NotFound,
    /// <summary>The resource was deleted (HTTP 410).</summary>
    Gone,
    /// <summary>Create with a client id that is taken (HTTP 409/412).</summary>
    AlreadyExists,
    /// <summary>The operation itself is malformed: bad type or id (HTTP 400).</summary>
    Invalid,
    /// <summary>Concurrent writers kept colliding after the store's retries (HTTP 409, retry).</summary>
    Conflict,
    /// <summary>A conditional create's criteria are claimed by another resource
    /// (<see cref="StoreFailure.HolderId"/>): search again, it exists now.</summary>
    ConditionalKeyTaken,
}

/// <summary>Why a transaction failed: which operation (index into the ops list) and how.</summary>
public sealed record StoreFailure(int Index, StoreFailureKind Kind, string Message)
{
    /// <summary>For <see cref="StoreFailureKind.ConditionalKeyTaken"/>: the id of the resource holding the claim.</summary>
    public string? HolderId { get; init; }
}

/// <summary>All-or-nothing: either every operation committed (<see cref="Results"/> in op order)
/// or nothing did (<see cref="Failure"/>).</summary>
public sealed record TransactResult(ImmutableArray<WriteResult> Results, StoreFailure? Failure)
{
    public bool Succeeded => Failure is null;

    public static TransactResult Committed(ImmutableArray<WriteResult> results) => new(results, null);

    public static TransactResult Failed(StoreFailure failure) => new([], failure);
}
