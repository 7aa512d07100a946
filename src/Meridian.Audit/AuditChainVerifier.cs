using System.Security.Cryptography;
using Meridian.Storage;

namespace Meridian.Audit;

public enum ChainBreakKind { Changed, Deleted, Inserted, Reordered }

/// <summary>The first place a tenant's audit chain stops verifying, and what happened there.</summary>
public sealed record ChainBreak(long Sequence, ChainBreakKind Kind, string Message);

/// <summary>The result of verifying one tenant: how many links verified, the hash of the last
/// good link (record it to detect later truncation), and the first break if any.</summary>
public sealed record ChainReport(string Tenant, long Verified, string HeadHash, ChainBreak? Break)
{
    public bool Intact => Break is null;
}

/// <summary>
/// Recomputes a tenant's audit hash chain (<see cref="AuditChain"/>) from the stored records
/// and reports the first break precisely: a record whose content changed, a record or link
/// that was deleted, one that was inserted (into the chain, or as a row the chain never saw),
/// or records whose order was changed.
/// </summary>
public static class AuditChainVerifier
{
    private const int Page = 1000;

    public static async Task<ChainReport> VerifyAsync(IAuditChainReader reader, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long expected = 1;
        var previous = AuditChain.Genesis.ToArray();
        byte[]? beforePrevious = null;
        while (true)
        {
            var links = await reader.ReadChainAsync(tenant, expected - 1, Page, cancellationToken).ConfigureAwait(false);
            if (links.Length == 0)
            {
                break;
            }
            for (var i = 0; i < links.Length; i++)
            {
                var link = links[i];
                if (link.Sequence == expected && link.Json is { } json && link.PreviousHash.Span.SequenceEqual(previous)
                    && AuditChain.Link(previous, expected, json.Span).AsSpan().SequenceEqual(link.Hash.Span))
                {
                    beforePrevious = previous;
                    previous = link.Hash.ToArray();
                    expected++;
                    continue;
                }
                var ahead = await reader.ReadChainAsync(tenant, link.Sequence, Page, cancellationToken).ConfigureAwait(false);
                if (beforePrevious is not null && link.PreviousHash.Span.SequenceEqual(beforePrevious))
                {
                    // This record continues from the one before the previous: the previous one,
                    // though its own hash is right, was slipped in.
                    return new ChainReport(tenant, expected - 2, Hex(beforePrevious), new ChainBreak(expected - 1, ChainBreakKind.Inserted,
                        $"record {expected - 1} was inserted: record {expected} ({link.Type}/{link.Id}) continues from record {expected - 2}"));
                }
                return new ChainReport(tenant, expected - 1, Hex(previous), Classify(link, expected, previous, ahead));
            }
        }
        var unchained = await reader.ReadUnchainedAsync(tenant, AuditTypes.Chained, 1, cancellationToken).ConfigureAwait(false);
        if (unchained.Length > 0)
        {
            var u = unchained[0];
            return new ChainReport(tenant, expected - 1, Hex(previous), new ChainBreak(expected, ChainBreakKind.Inserted,
                $"{u.Type}/{u.Id}/_history/{u.VersionId} (last updated {u.LastUpdated:O}) is not in the chain: it was inserted behind the server's back (or its chain link, the last, was deleted)"));
        }
        return new ChainReport(tenant, expected - 1, Hex(previous), null);
    }

    private static ChainBreak Classify(ChainLink link, long expected, byte[] previous, IReadOnlyList<ChainLink> ahead)
    {
        var name = $"{link.Type}/{link.Id}/_history/{link.VersionId}";
        if (link.Sequence > expected)
        {
            return new ChainBreak(expected, ChainBreakKind.Deleted,
                expected + 1 == link.Sequence ? $"record {expected} was deleted (the chain jumps to {link.Sequence})" : $"records {expected} to {link.Sequence - 1} were deleted (the chain jumps to {link.Sequence})");
        }
        // It continues from a record that now stands later: two records changed places.
        foreach (var later in ahead)
        {
            if (later.Hash.Span.SequenceEqual(link.PreviousHash.Span))
            {
                return new ChainBreak(expected, ChainBreakKind.Reordered,
                    $"record {expected} ({name}) was recorded after record {later.Sequence} ({later.Type}/{later.Id}): their order was changed");
            }
        }
        // The next record continues from the one before this: this one was slipped in.
        if (ahead.Count > 0 && ahead[0].PreviousHash.Span.SequenceEqual(previous))
        {
            return new ChainBreak(expected, ChainBreakKind.Inserted, $"record {expected} ({name}) was inserted: the next record continues from record {expected - 1}");
        }
        if (link.Json is not { } json)
        {
            return new ChainBreak(expected, ChainBreakKind.Deleted, $"record {expected} ({name}) was deleted from the resource table");
        }
        if (!link.PreviousHash.Span.SequenceEqual(previous))
        {
            return new ChainBreak(expected, ChainBreakKind.Deleted, $"record {expected} ({name}) continues from a record that is no longer in the chain: the record before it was deleted");
        }
        var content = SHA256.HashData(json.Span);
        if (!content.AsSpan().SequenceEqual(link.RecordHash.Span))
        {
            foreach (var later in ahead)
            {
                if (later.RecordHash.Span.SequenceEqual(content))
                {
                    return new ChainBreak(expected, ChainBreakKind.Reordered,
                        $"record {expected} ({name}) holds the content recorded as record {later.Sequence}: their order was changed");
                }
            }
            return new ChainBreak(expected, ChainBreakKind.Changed, $"record {expected} ({name}) was changed: its content no longer matches its hash");
        }
        return new ChainBreak(expected, ChainBreakKind.Changed, $"the chain link of record {expected} ({name}) was altered");
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
