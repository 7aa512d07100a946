using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

/// <summary>
/// What a group commit writes last for one tenant, in this order: the tenant's data scope (when
/// the connection is not in it yet), the deferred version and index rows per table, the
/// tenant's audit hash-chain links (after its chain lock and a read of the chain head), then
/// the change-feed rows (after the change-feed ordering lock). A provider sends it in as few
/// round trips as its engine allows (<see cref="RelationalFhirStore.InsertDeferredAsync"/>);
/// only the chain head must come back before the links can be computed.
/// <para>Lock order (no deadlock between concurrent group commits): a batch's first group
/// carries <see cref="ChainLocks"/>, the chain locks of EVERY tenant of the batch that appends
/// links, sorted; it takes them all before its change-feed lock, and the later groups take none
/// (their locks are held). So every transaction takes chain locks in one global order and the
/// change-feed lock after all of them: no two group commits can each hold a lock the other
/// waits for, whichever order their tenants came in.</para>
/// <para>The batch's last group may end the transaction itself (<see cref="MayCommit"/>): a
/// provider that can append COMMIT to the round trip carrying the locks keeps them held only
/// while the database runs that one pipeline, never across a client round trip.</para>
/// </summary>
public sealed class DeferredRows
{
    private readonly IReadOnlyList<(VersionRow Row, long AtTicks)> _chained;

    internal DeferredRows(string tenant, DataScope? scope, IReadOnlyList<(TableDefinition Table, IReadOnlyList<object?[]> Rows)> tables,
        IReadOnlyList<(VersionRow Row, long AtTicks)> chained, TableDefinition chainTable, TableDefinition changesTable, IReadOnlyList<object?[]> changes,
        IReadOnlyList<string> chainLocks, CommitOutcome? outcome = null, bool mayCommit = false)
    {
        ChainLocks = chainLocks;
        Outcome = outcome;
        MayCommit = mayCommit;
        Tenant = tenant;
        Scope = scope;
        Tables = tables;
        _chained = chained;
        ChainTable = chainTable;
        ChangesTable = changesTable;
        Changes = changes;
    }

    public string Tenant { get; }

    /// <summary>The scope to enter first; null when the transaction is in it already.</summary>
    public DataScope? Scope { get; }

    /// <summary>Version rows (table <c>resources</c>) first, then index rows per table.</summary>
    public IReadOnlyList<(TableDefinition Table, IReadOnlyList<object?[]> Rows)> Tables { get; }

    /// <summary>The tenants whose chain locks this group takes, in this order (ordinal), after its
    /// rows and before its chain head read and change-feed lock: all of the batch's chained
    /// tenants for its first group, none for the others.</summary>
    public IReadOnlyList<string> ChainLocks { get; }

    /// <summary>Whether chain links are to be appended (then read head, insert; the lock is
    /// taken by the batch's first group, <see cref="ChainLocks"/>).</summary>
    public bool HasChain => _chained.Count > 0;

    /// <summary>How the group commit ends (null outside a group commit, e.g. a purge's own
    /// transaction): a provider that guessed the chain head learns whether the guess stood.</summary>
    public CommitOutcome? Outcome { get; }

    /// <summary>The group commit's last group: the provider may COMMIT in the same round trip as
    /// these rows and then returns true from <see cref="RelationalFhirStore.InsertDeferredAsync"/>
    /// (the group commit then does not commit again).</summary>
    public bool MayCommit { get; }

    public TableDefinition ChainTable { get; }

    public TableDefinition ChangesTable { get; }

    public IReadOnlyList<object?[]> Changes { get; }

    /// <summary>
    /// The chain rows that follow the head read under the tenant's chain lock (sequence 0 and
    /// <see cref="AuditChain.Genesis"/> for an empty chain), in commit order.
    /// </summary>
    public IReadOnlyList<object?[]> ChainRows(long headSequence, ReadOnlySpan<byte> headHash)
    {
        var previous = headHash.ToArray();
        var seq = headSequence;
        var links = new List<object?[]>(_chained.Count);
        foreach (var (row, at) in _chained)
        {
            seq++;
            var hash = AuditChain.Link(previous, seq, row.Json);
            links.Add([Tenant, seq, row.Type, row.Id, row.Version, at, AuditChain.Record(row.Json), previous, hash]);
            previous = hash;
        }
        return links;
    }
}
