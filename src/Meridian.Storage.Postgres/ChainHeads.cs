using Meridian.Storage.Relational;

namespace Meridian.Storage.Postgres;

/// <summary>
/// The audit-chain head each tenant's next group commit can expect, so that it computes its
/// links (SHA-256, <see cref="AuditChain"/>, on the client: the database never sees a record's
/// plaintext) BEFORE its chain lock is granted and sends lock, head check
/// (<c>meridian_chain_expect</c>, migration 0027), links, change rows and COMMIT in one round
/// trip. The locks are then held only while PostgreSQL runs the end of that pipeline, never
/// across a client round trip (docs/adr/0034-predicted-audit-chain-heads.md).
/// <para>The expected head is the one after every append this store has sent, committed or not.
/// The store reserves under its chain turnstile and keeps it until the database has granted
/// the batch's chain lock, so its batches queue on that lock in the order they reserved and
/// each builds on the one before it. The database checks every guess under the lock; a wrong
/// one (another store instance or a purge appended, or the batch it built on rolled back)
/// fails its transaction with 40001, which is re-run. A failed guess or an append whose head
/// was read under the lock makes the head unknown; batches then read it under the lock (two
/// round trips, as without this) until one of them commits with no other read in flight.</para>
/// <para>A wrong guess costs its whole batch a re-run, so after one the tenant's heads are read
/// under the lock for a pause (1 s, doubling with every further wrong guess up to
/// <see cref="MaxPause"/>, back to 1 s once guesses have held for <see cref="CalmAfter"/>):
/// several server processes appending to one chain would otherwise re-run nearly every batch,
/// while a single process, whose guesses only fail after a purge or a rolled-back batch,
/// keeps guessing.</para>
/// <para>Every method is called under the store's chain turnstile except <see cref="Resolve"/>,
/// <see cref="EndRead"/> and <see cref="Forget"/>; all take this object's lock.</para>
/// </summary>
internal sealed class ChainHeads(TimeProvider clock)
{
    internal static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(1);
    internal static readonly TimeSpan CalmAfter = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _tenants = new(StringComparer.Ordinal);

    /// <summary>A batch's links computed from the expected head; <see cref="Epoch"/> ties its
    /// failure to the guess it was built on.</summary>
    public sealed record Reservation(string Tenant, long ExpectedSequence, byte[] ExpectedHash, IReadOnlyList<object?[]> Links, long Epoch);

    /// <summary>The links of <paramref name="rows"/> from the tenant's expected head, which then
    /// moves past them; null when the head is not known (read it under the lock instead).</summary>
    public Reservation? Reserve(DeferredRows rows)
    {
        lock (_lock)
        {
            if (!_tenants.TryGetValue(rows.Tenant, out var entry) || entry.Sequence is not { } seq || entry.ReadsInFlight > 0
                || Now < entry.GuessFrom)
            {
                return null;
            }
            var links = rows.ChainRows(seq, entry.Hash);
            var reservation = new Reservation(rows.Tenant, seq, entry.Hash, links, entry.Epoch);
            var last = links[^1];
            entry.Sequence = (long)last[1]!;
            entry.Hash = (byte[])last[8]!;
            return reservation;
        }
    }

    /// <summary>A reserved batch ended: if it did not commit, every guess built on it is wrong.</summary>
    public void Resolve(Reservation reservation, bool committed)
    {
        lock (_lock)
        {
            if (!_tenants.TryGetValue(reservation.Tenant, out var entry))
            {
                return;
            }
            var now = Now;
            if (committed)
            {
                if (entry.Pause > TimeSpan.Zero && now - entry.GuessFrom >= CalmAfter)
                {
                    entry.Pause = TimeSpan.Zero;
                }
                return;
            }
            if (entry.Epoch == reservation.Epoch)
            {
                // The first failure of this guess line (later ones built on it share its epoch).
                entry.Forget();
                entry.Pause = entry.Pause == TimeSpan.Zero ? FirstPause : TimeSpan.FromTicks(Math.Min(entry.Pause.Ticks * 2, MaxPause.Ticks));
                entry.GuessFrom = now + entry.Pause;
            }
        }
    }

    /// <summary>A batch will read the tenant's head under its chain lock: no guess until it ends.</summary>
    public void BeginRead(string tenant)
    {
        lock (_lock)
        {
            if (!_tenants.TryGetValue(tenant, out var entry))
            {
                entry = new Entry();
                _tenants[tenant] = entry;
            }
            entry.Forget();
            entry.ReadsInFlight++;
        }
    }

    /// <summary>A batch that read the head under the lock ended; committed with links up to
    /// (<paramref name="sequence"/>, <paramref name="hash"/>) and no other read in flight (which
    /// would come after it), that is the head.</summary>
    public void EndRead(string tenant, bool committed, long sequence, byte[]? hash)
    {
        lock (_lock)
        {
            if (!_tenants.TryGetValue(tenant, out var entry))
            {
                return;
            }
            entry.ReadsInFlight--;
            // Reads end in any order on the client; the one that committed last in the database
            // has the highest sequence.
            if (committed && hash is not null && sequence > entry.ReadSequence)
            {
                entry.ReadSequence = sequence;
                entry.ReadHash = hash;
            }
            if (entry.ReadsInFlight == 0 && entry.Sequence is null && entry.ReadSequence > 0)
            {
                entry.Sequence = entry.ReadSequence;
                entry.Hash = entry.ReadHash;
            }
        }
    }

    /// <summary>Links were appended outside a group commit (a purge): the head is unknown.</summary>
    public void Forget(string tenant)
    {
        lock (_lock)
        {
            if (_tenants.TryGetValue(tenant, out var entry))
            {
                entry.Forget();
            }
        }
    }

    private DateTimeOffset Now => clock.GetUtcNow();

    private sealed class Entry
    {
        /// <summary>No guess before this (the pause after a wrong one).</summary>
        public DateTimeOffset GuessFrom { get; set; } = DateTimeOffset.MinValue;

        /// <summary>The current pause; zero while guesses hold.</summary>
        public TimeSpan Pause { get; set; }

        public long? Sequence { get; set; }

        public byte[] Hash { get; set; } = [];

        public long Epoch { get; set; }

        public int ReadsInFlight { get; set; }

        /// <summary>The highest head committed by a read since the head became unknown.</summary>
        public long ReadSequence { get; set; }

        public byte[] ReadHash { get; set; } = [];

        public void Forget()
        {
            Sequence = null;
            Hash = [];
            ReadSequence = 0;
            ReadHash = [];
            Epoch++;
        }
    }
}
