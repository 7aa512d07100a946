using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage.Protection;
using Meridian.Storage.Relational;

namespace Meridian.Storage;

/// <summary>
/// Lets a module write its own rows (a table of its migration) in the SAME database
/// transaction as a <see cref="IFhirStore.TransactAsync"/> request, and add FHIR operations
/// derived from what it wrote (the HL7 v2 inbox writes its rows and their AuditEvents in one
/// commit). Passed per request in <see cref="TransactOptions.Participant"/>; relational stores
/// only. It runs inside the request's savepoint and tenant scope, before the request's
/// operations are planned; a lost race re-runs the request, so it may run more than once and
/// must keep only its last run's outcome. Its operations are written after the request's own and
/// are not part of <see cref="TransactResult.Results"/>.
/// </summary>
public interface ITransactionParticipant
{
    ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken);

    /// <summary>Whether it has work in a request of these operations (asked before anything
    /// runs; the default: always). One that says no is skipped, and the request keeps the
    /// store's fast path (plain creates need no savepoint or scope round trip of their own): a
    /// participant attached to every Bundle costs only the Bundles it concerns.</summary>
    bool Joins(IReadOnlyList<WriteOperation> operations) => true;
}

/// <summary>The request's transaction as a participant sees it: connection, transaction, tenant
/// (the scope entered), dialect, and the store's payload sealing bound to this transaction.</summary>
public sealed record ParticipantContext(string Tenant, DbConnection Connection, DbTransaction Transaction, SqlDialect Dialect, IModuleSealer Sealer)
{
    /// <summary>The request's own operations (not yet planned): a module that keys its rows by the
    /// resources written (the subscriptions' owner record) finds their ids here. Creates carry the
    /// id the API chose for them; one without an id gets none here.</summary>
    public IReadOnlyList<WriteOperation> Operations { get; init; } = [];
}

/// <summary>
/// The store's envelope encryption (ADR 0016, <see cref="StoreOptions.Protector"/>) for a module's
/// own columns, bound to one connection (and transaction, when writing: a tenant's first data key
/// then commits with the rows it sealed). <see cref="Encrypts"/> is false when the store runs
/// without a master key; then seal and open return their input.
/// </summary>
public interface IModuleSealer
{
    bool Encrypts { get; }

    ValueTask<byte[]> SealAsync(PayloadAddress address, byte[] plaintext, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="PayloadProtectionException"/> when the payload was altered, moved, or its key does not open (wrong master key).</summary>
    ValueTask<byte[]> OpenAsync(PayloadAddress address, ReadOnlyMemory<byte> stored, CancellationToken cancellationToken);
}

/// <summary>Implemented by the relational store next to <see cref="IModuleDatabase"/> (find it with <c>store.Find&lt;IModuleProtection&gt;()</c>).</summary>
public interface IModuleProtection
{
    /// <summary>Sealing on <paramref name="connection"/>; inside <paramref name="transaction"/> when one is given (writes).</summary>
    IModuleSealer SealerFor(DbConnection connection, DbTransaction? transaction);
}
