using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// Processing claims for several engine nodes on one database (migration 0014). Mutual
/// exclusion is per ordering key (tenant, sender, ordering bucket) through a lease row in
/// <c>hl7_key_leases</c>: a node takes a key's lease (free, its own, or expired) with
/// <c>FOR UPDATE SKIP LOCKED</c> — a key another node is claiming right now is skipped, not
/// waited for — and only the lease holder claims that key's messages, in id order. A live node
/// renews its leases and claims on every call; a dead node's leases and claims expire and are
/// taken by another node, which then also takes the dead node's unfinished messages of the key
/// (at-least-once: processors are idempotent). Completing the last claimed message of a key frees it.
/// </summary>
public sealed partial class RelationalHl7Inbox
{
    public async Task<ImmutableArray<StoredHl7Message>> ClaimAsync(string node, int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        max = Math.Clamp(max, 1, 1000);
        var now = _clock.GetUtcNow().UtcTicks;
        var expires = now + Math.Max(lease.Ticks, TimeSpan.TicksPerSecond);

        // 1. Keys with claimable messages, oldest first (a plain read: the lease decides).
        var keys = await _sql.ReadAsync(async (connection, ct) =>
        {
            await using var cmd = SqlCommands.Create(connection, null,
                "SELECT tenant, sender, ordering_bucket FROM hl7_inbox " +
                $"WHERE status = '{InboxStatus.Received}' AND (claimed_by IS NULL OR claimed_by <> @node) " +
                "GROUP BY tenant, sender, ordering_bucket ORDER BY min(id) LIMIT @max",
                ("@node", node), ("@max", (long)max));
            var list = new List<(string Tenant, string Sender, long Bucket)>();
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
            }
            return list;
        }, cancellationToken).ConfigureAwait(false);
        keys.Sort((a, b) => (a.Tenant, a.Sender, a.Bucket).CompareTo((b.Tenant, b.Sender, b.Bucket)));

        // 2. Lease rows exist for those keys (their own short transaction, in key order, so two
        //    nodes inserting the same keys wait briefly on each other and never deadlock).
        if (keys.Count > 0)
        {
            await _sql.WriteAsync(async (connection, tx, ct) =>
            {
                await using var cmd = connection.CreateCommand();
                cmd.Transaction = tx;
                var text = new StringBuilder("INSERT INTO hl7_key_leases (tenant, sender, bucket, node, expires_at) VALUES ");
                AppendKeys(cmd, text, keys, ", NULL, 0");
                text.Append(" ON CONFLICT DO NOTHING");
#pragma warning disable CA2100 // built from constants and parameter names
                cmd.CommandText = text.ToString();
#pragma warning restore CA2100
                return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }

        // 3. Renew what this node holds, take the free or expired leases (skipping those another
        //    node has locked), and claim the held keys' unclaimed messages in id order.
        return await _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await RenewHeldAsync(connection, tx, node, expires, expires - now, ct).ConfigureAwait(false);
            if (keys.Count == 0)
            {
                return ImmutableArray<StoredHl7Message>.Empty;
            }
            var owned = new List<(string Tenant, string Sender, long Bucket)>();
            await using (var take = connection.CreateCommand())
            {
                take.Transaction = tx;
                var text = new StringBuilder("SELECT tenant, sender, bucket FROM hl7_key_leases WHERE (tenant, sender, bucket) IN (VALUES ");
                AppendKeys(take, text, keys, "");
                text.Append(") AND (node = @node OR node IS NULL OR expires_at < @now) ORDER BY tenant, sender, bucket");
                // SQLite has one writer at a time: nothing to skip.
                text.Append(IsPostgres ? " FOR UPDATE SKIP LOCKED" : "");
                SqlCommands.Add(take, "@node", node);
                SqlCommands.Add(take, "@now", now);
#pragma warning disable CA2100 // built from constants and parameter names
                take.CommandText = text.ToString();
#pragma warning restore CA2100
                await using var r = await take.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    owned.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
                }
            }
            if (owned.Count == 0)
            {
                return ImmutableArray<StoredHl7Message>.Empty;
            }
            await using (var hold = connection.CreateCommand())
            {
                hold.Transaction = tx;
                var text = new StringBuilder("UPDATE hl7_key_leases SET node = @node, expires_at = @exp WHERE (tenant, sender, bucket) IN (VALUES ");
                AppendKeys(hold, text, owned, "");
                text.Append(')');
                SqlCommands.Add(hold, "@node", node);
                SqlCommands.Add(hold, "@exp", expires);
#pragma warning disable CA2100 // built from constants and parameter names
                hold.CommandText = text.ToString();
#pragma warning restore CA2100
                await hold.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            var ids = new List<long>();
            await using (var claim = connection.CreateCommand())
            {
                claim.Transaction = tx;
                // Every unfinished message of a held key not claimed by this node: unclaimed ones,
                // and those of a node whose lease on the key expired (it is presumed dead).
                var text = new StringBuilder($"UPDATE hl7_inbox SET claimed_by = @node, claim_expires = @exp WHERE id IN (SELECT id FROM hl7_inbox WHERE status = '{InboxStatus.Received}' " +
                    "AND (claimed_by IS NULL OR claimed_by <> @node) AND (tenant, sender, ordering_bucket) IN (VALUES ");
                AppendKeys(claim, text, owned, "");
                text.Append(") ORDER BY id LIMIT @max) RETURNING id");
                SqlCommands.Add(claim, "@node", node);
                SqlCommands.Add(claim, "@exp", expires);
                SqlCommands.Add(claim, "@max", (long)max);
#pragma warning disable CA2100 // built from constants and parameter names
                claim.CommandText = text.ToString();
#pragma warning restore CA2100
                await using var r = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    ids.Add(r.GetInt64(0));
                }
            }
            if (ids.Count == 0)
            {
                return ImmutableArray<StoredHl7Message>.Empty;
            }
            ids.Sort();
            await using var read = connection.CreateCommand();
            read.Transaction = tx;
            var select = new StringBuilder($"SELECT {MessageColumns} FROM hl7_inbox WHERE id IN (");
            for (var i = 0; i < ids.Count; i++)
            {
                select.Append(i > 0 ? ", " : "").Append("@i").Append(i);
                SqlCommands.Add(read, "@i" + i, ids[i]);
            }
            select.Append(") ORDER BY id");
#pragma warning disable CA2100 // built from constants and parameter names
            read.CommandText = select.ToString();
#pragma warning restore CA2100
            return await ReadMessagesAsync(connection, tx, read, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task RenewClaimsAsync(string node, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var span = Math.Max(lease.Ticks, TimeSpan.TicksPerSecond);
        var expires = _clock.GetUtcNow().UtcTicks + span;
        return _sql.WriteAsync((connection, tx, ct) => RenewHeldAsync(connection, tx, node, expires, span, ct), cancellationToken);
    }

    /// <summary>
    /// Extends the node's claims and key leases that are due: those with less than five sixths of
    /// the lease left. The dispatcher calls this on every feed round — on every receipt wake-up
    /// under load — and a backlog holds thousands of claimed rows, so renewing all of them each
    /// time rewrote every claimed inbox row many times a second; now a row is rewritten about once
    /// per sixth of a lease (5 s of the default 30 s), keeping nearly the whole lease as slack for a
    /// feed round delayed on a busy machine. On PostgreSQL rows another transaction has locked
    /// are skipped, not waited for: they belong to a batch of this node being completed right now
    /// (inside its FHIR transaction with inline completion), which either marks them processed and
    /// frees the key — nothing left to renew — or rolls back, and then the next renewal (every
    /// rescan, far inside the lease) extends them. Waiting here queued the renewal, and the rows of
    /// the other lanes' batches it had already locked, behind a whole FHIR write, serialising the
    /// lanes (ADR 0028 addendum). Inbox rows before lease rows, the order completion locks them in.
    /// SQLite has one writer at a time: nothing can be locked by another transaction.
    /// </summary>
    private async Task<int> RenewHeldAsync(DbConnection connection, DbTransaction tx, string node, long expires, long lease, CancellationToken ct)
    {
        var due = expires - lease / 6;
        var claimsSql = IsPostgres
            ? $"UPDATE hl7_inbox SET claim_expires = @exp WHERE id IN (SELECT id FROM hl7_inbox WHERE claimed_by = @node AND status = '{InboxStatus.Received}' AND claim_expires < @due FOR UPDATE SKIP LOCKED)"
            : $"UPDATE hl7_inbox SET claim_expires = @exp WHERE claimed_by = @node AND status = '{InboxStatus.Received}' AND claim_expires < @due";
        await using (var claims = SqlCommands.Create(connection, tx, claimsSql, ("@exp", expires), ("@node", node), ("@due", due)))
        {
            await claims.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var leasesSql = IsPostgres
            ? "UPDATE hl7_key_leases SET expires_at = @exp WHERE (tenant, sender, bucket) IN (SELECT tenant, sender, bucket FROM hl7_key_leases WHERE node = @node AND expires_at < @due FOR UPDATE SKIP LOCKED)"
            : "UPDATE hl7_key_leases SET expires_at = @exp WHERE node = @node AND expires_at < @due";
        await using var leases = SqlCommands.Create(connection, tx, leasesSql, ("@exp", expires), ("@node", node), ("@due", due));
        return await leases.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public Task ReleaseClaimsAsync(string node, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        return _sql.WriteAsync(async (connection, tx, ct) =>
        {
            await using var claims = SqlCommands.Create(connection, tx,
                $"UPDATE hl7_inbox SET claimed_by = NULL, claim_expires = NULL WHERE claimed_by = @node AND status = '{InboxStatus.Received}'", ("@node", node));
            await claims.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var leases = SqlCommands.Create(connection, tx, "DELETE FROM hl7_key_leases WHERE node = @node", ("@node", node));
            return await leases.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>Frees a key's lease once its holder has no claimed message of it left.</summary>
    private static Task ReleaseKeyAsync(DbConnection connection, DbTransaction tx, bool isPostgres, string tenant, string sender, long bucket, string node, CancellationToken ct) =>
        ReleaseKeysAsync(connection, tx, isPostgres, [(tenant, sender, bucket, node)], ct);

    /// <summary>
    /// Frees the leases of keys whose node no longer has a claimed message waiting, in ONE statement
    /// for a whole batch (it was one DELETE per key: a round trip and a statement per mapped
    /// message when every message has its own ordering key). On PostgreSQL the lease rows are
    /// locked first in key order (the ordered <c>FOR UPDATE</c> subquery), as the per-key loop did,
    /// so two transactions releasing overlapping keys wait on each other instead of deadlocking.
    /// SQLite has one writer at a time: nothing to order.
    /// </summary>
    private static async Task ReleaseKeysAsync(DbConnection connection, DbTransaction tx, bool isPostgres, List<(string Tenant, string Sender, long Bucket, string Node)> held, CancellationToken ct)
    {
        if (held.Count == 0)
        {
            return;
        }
        held.Sort((a, b) => (a.Tenant, a.Sender, a.Bucket, a.Node).CompareTo((b.Tenant, b.Sender, b.Bucket, b.Node)));
        await using var release = connection.CreateCommand();
        release.Transaction = tx;
        var values = new StringBuilder("VALUES ");
        for (var i = 0; i < held.Count; i++)
        {
            values.Append(i > 0 ? ", " : "").Append(CultureInfo.InvariantCulture, $"(@rt{i}, @rs{i}, @rb{i}, @rn{i})");
            SqlCommands.Add(release, $"@rt{i}", held[i].Tenant);
            SqlCommands.Add(release, $"@rs{i}", held[i].Sender);
            SqlCommands.Add(release, $"@rb{i}", held[i].Bucket);
            SqlCommands.Add(release, $"@rn{i}", held[i].Node);
        }
        var keys = isPostgres
            ? $"(SELECT l.tenant, l.sender, l.bucket, l.node FROM hl7_key_leases l WHERE (l.tenant, l.sender, l.bucket, l.node) IN ({values}) ORDER BY l.tenant, l.sender, l.bucket FOR UPDATE OF l)"
            : $"({values})";
#pragma warning disable CA2100 // built from constants and parameter names
        release.CommandText = $"DELETE FROM hl7_key_leases WHERE (tenant, sender, bucket, node) IN {keys} AND NOT EXISTS " +
            $"(SELECT 1 FROM hl7_inbox i WHERE i.tenant = hl7_key_leases.tenant AND i.sender = hl7_key_leases.sender AND i.ordering_bucket = hl7_key_leases.bucket AND i.status = '{InboxStatus.Received}' AND i.claimed_by = hl7_key_leases.node)";
#pragma warning restore CA2100
        await release.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void AppendKeys(DbCommand cmd, StringBuilder text, List<(string Tenant, string Sender, long Bucket)> keys, string suffix)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            text.Append(i > 0 ? ", " : "").Append($"(@kt{i}, @ks{i}, @kb{i}{suffix})");
            SqlCommands.Add(cmd, $"@kt{i}", keys[i].Tenant);
            SqlCommands.Add(cmd, $"@ks{i}", keys[i].Sender);
            SqlCommands.Add(cmd, $"@kb{i}", keys[i].Bucket);
        }
    }
}
