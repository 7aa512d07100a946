using System.Collections.Immutable;
using System.Text;
using Meridian.Storage;

namespace Meridian.Audit.Tests;

/// <summary>The verifier on an in-memory chain: intact chains pass, and each kind of tampering
/// is reported at the right record.</summary>
public sealed class AuditChainVerifierTests
{
    /// <summary>An in-memory chain as the store would have written it.</summary>
    private sealed class MemoryChain : IAuditChainReader
    {
        public List<ChainLink> Links { get; } = [];

        public List<UnchainedVersion> Unchained { get; } = [];

        public static MemoryChain Of(int count)
        {
            var chain = new MemoryChain();
            var previous = AuditChain.Genesis.ToArray();
            for (var seq = 1; seq <= count; seq++)
            {
                var json = Encoding.UTF8.GetBytes($"{{\"resourceType\":\"AuditEvent\",\"id\":\"a{seq}\"}}");
                var hash = AuditChain.Link(previous, seq, json);
                chain.Links.Add(new ChainLink(seq, "AuditEvent", "a" + seq, 1, DateTimeOffset.UnixEpoch, AuditChain.Record(json), previous, hash, json));
                previous = hash;
            }
            return chain;
        }

        public Task<ImmutableArray<string>> ChainTenantsAsync(IReadOnlyList<string> types, CancellationToken cancellationToken = default) =>
            Task.FromResult(ImmutableArray.Create("t"));

        public Task<ImmutableArray<ChainLink>> ReadChainAsync(string tenant, long afterSequence, int max, CancellationToken cancellationToken = default) =>
            Task.FromResult(Links.Where(l => l.Sequence > afterSequence).OrderBy(l => l.Sequence).Take(max).ToImmutableArray());

        public Task<ImmutableArray<UnchainedVersion>> ReadUnchainedAsync(string tenant, IReadOnlyList<string> types, int max, CancellationToken cancellationToken = default) =>
            Task.FromResult(Unchained.Take(max).ToImmutableArray());
    }

    private static Task<ChainReport> Verify(MemoryChain chain) => AuditChainVerifier.VerifyAsync(chain, "t");

    [Fact]
    public async Task An_intact_chain_verifies_and_reports_its_head()
    {
        var chain = MemoryChain.Of(2500); // more than one page
        var report = await Verify(chain);
        Assert.True(report.Intact);
        Assert.Equal(2500, report.Verified);
        Assert.Equal(Convert.ToHexStringLower(chain.Links[^1].Hash.Span), report.HeadHash);
    }

    [Fact]
    public async Task A_changed_record_is_reported_at_its_sequence()
    {
        var chain = MemoryChain.Of(10);
        chain.Links[6] = chain.Links[6] with { Json = Encoding.UTF8.GetBytes("{\"resourceType\":\"AuditEvent\",\"id\":\"a7\",\"outcome\":\"0\"}") };
        var report = await Verify(chain);
        Assert.Equal((7L, ChainBreakKind.Changed), (report.Break!.Sequence, report.Break.Kind));
        Assert.Equal(6, report.Verified);
    }

    [Fact]
    public async Task A_deleted_link_is_reported_as_a_gap()
    {
        var chain = MemoryChain.Of(10);
        chain.Links.RemoveAt(3);
        var report = await Verify(chain);
        Assert.Equal((4L, ChainBreakKind.Deleted), (report.Break!.Sequence, report.Break.Kind));
    }

    [Fact]
    public async Task A_deleted_record_row_is_reported()
    {
        var chain = MemoryChain.Of(10);
        chain.Links[4] = chain.Links[4] with { Json = null };
        var report = await Verify(chain);
        Assert.Equal((5L, ChainBreakKind.Deleted), (report.Break!.Sequence, report.Break.Kind));
    }

    [Fact]
    public async Task A_deleted_link_with_the_rest_renumbered_is_reported()
    {
        var chain = MemoryChain.Of(10);
        chain.Links.RemoveAt(3);
        for (var i = 3; i < chain.Links.Count; i++)
        {
            chain.Links[i] = chain.Links[i] with { Sequence = i + 1 };
        }
        var report = await Verify(chain);
        Assert.Equal((4L, ChainBreakKind.Deleted), (report.Break!.Sequence, report.Break.Kind));
    }

    [Fact]
    public async Task An_inserted_link_is_reported_even_when_its_own_hash_is_right()
    {
        var chain = MemoryChain.Of(10);
        var previous = chain.Links[4].Hash.ToArray();
        var json = Encoding.UTF8.GetBytes("{\"resourceType\":\"AuditEvent\",\"id\":\"forged\"}");
        for (var i = 5; i < chain.Links.Count; i++)
        {
            chain.Links[i] = chain.Links[i] with { Sequence = i + 2 };
        }
        chain.Links.Insert(5, new ChainLink(6, "AuditEvent", "forged", 1, DateTimeOffset.UnixEpoch, AuditChain.Record(json), previous, AuditChain.Link(previous, 6, json), json));
        var report = await Verify(chain);
        Assert.Equal(ChainBreakKind.Inserted, report.Break!.Kind);
        Assert.Contains("record 6 ", report.Break.Message + " ", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_the_chain_never_saw_is_reported_as_inserted()
    {
        var chain = MemoryChain.Of(3);
        chain.Unchained.Add(new UnchainedVersion("AuditEvent", "sneaky", 1, DateTimeOffset.UnixEpoch));
        var report = await Verify(chain);
        Assert.Equal(ChainBreakKind.Inserted, report.Break!.Kind);
        Assert.Contains("AuditEvent/sneaky", report.Break.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swapped_links_are_reported_as_reordered()
    {
        var chain = MemoryChain.Of(10);
        (chain.Links[2], chain.Links[3]) = (chain.Links[3] with { Sequence = 3 }, chain.Links[2] with { Sequence = 4 });
        var report = await Verify(chain);
        Assert.Equal((3L, ChainBreakKind.Reordered), (report.Break!.Sequence, report.Break.Kind));
    }

    [Fact]
    public async Task Swapped_record_contents_are_reported_as_reordered()
    {
        var chain = MemoryChain.Of(10);
        var (a, b) = (chain.Links[2].Json, chain.Links[3].Json);
        chain.Links[2] = chain.Links[2] with { Json = b };
        chain.Links[3] = chain.Links[3] with { Json = a };
        var report = await Verify(chain);
        Assert.Equal((3L, ChainBreakKind.Reordered), (report.Break!.Sequence, report.Break.Kind));
    }
}
