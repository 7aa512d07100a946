using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;
using Npgsql;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Claim renewal (<see cref="IHl7Inbox.RenewClaimsAsync"/>, also the first step of every
/// <see cref="IHl7Inbox.ClaimAsync"/>): it extends only claims and key leases with less than five
/// sixths of their lease left, so a backlog's claimed rows are not rewritten on every feed round,
/// and on PostgreSQL it skips rows another transaction holds instead of waiting for it (a lane's
/// batch being completed inside its FHIR transaction). The clock is pinned: nothing waits for real time.
/// </summary>
public abstract class ClaimRenewalTests
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected abstract EngineStore NewStore();

    protected static async Task ReceiveAsync(EngineHarness h, params (string ControlId, string Patient)[] messages)
    {
        await using var client = await h.ConnectAsync();
        foreach (var (controlId, patient) in messages)
        {
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(controlId, patient, observations: 1)))));
        }
    }

    [Fact]
    public async Task A_renewal_extends_only_claims_past_a_sixth_of_their_lease_and_an_unrenewed_claim_is_taken_over_once()
    {
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store);
        await ReceiveAsync(h, ("n1", "P1"));
        var clock = new PinnedClock(DateTimeOffset.UtcNow);
        var inbox = RelationalHl7Inbox.For(h.Store, clock);

        Assert.Equal("n1", Assert.Single(await inbox.ClaimAsync("node-a", 10, Lease)).ControlId); // expires at 30 s
        clock.Advance(TimeSpan.FromSeconds(4));
        await inbox.RenewClaimsAsync("node-a", Lease);        // 26 s left: not due, not rewritten
        clock.Advance(TimeSpan.FromSeconds(27));              // 31 s: the claim from 0 s has lapsed
        Assert.Equal("n1", Assert.Single(await inbox.ClaimAsync("node-b", 10, Lease)).ControlId); // expires at 61 s
        Assert.Empty(await inbox.ClaimAsync("node-a", 10, Lease)); // exactly once: A does not take it back
        Assert.Empty(await inbox.ClaimAsync("node-c", 10, Lease));

        clock.Advance(TimeSpan.FromSeconds(20));              // 51 s: 10 s left, due
        await inbox.RenewClaimsAsync("node-b", Lease);        // now expires at 81 s
        clock.Advance(TimeSpan.FromSeconds(15));              // 66 s: past the old expiry, not the new one
        Assert.Empty(await inbox.ClaimAsync("node-a", 10, Lease));
        clock.Advance(TimeSpan.FromSeconds(16));              // 82 s: node B stopped renewing
        Assert.Equal("n1", Assert.Single(await inbox.ClaimAsync("node-a", 10, Lease)).ControlId);
    }
}

public sealed class SqliteClaimRenewalTests : ClaimRenewalTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresClaimRenewalTests : ClaimRenewalTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();

    [Fact]
    public async Task Renewal_and_claiming_skip_rows_another_transaction_holds_instead_of_waiting_for_it()
    {
        await using var store = new PostgresEngineStore();
        await using var h = await EngineHarness.StartAsync(store);
        await ReceiveAsync(h, ("s1", "P1"), ("s2", "P2"));
        var clock = new PinnedClock(DateTimeOffset.UtcNow);
        var inbox = RelationalHl7Inbox.For(h.Store, clock);
        Assert.Equal(["s1", "s2"], (await inbox.ClaimAsync("node-a", 10, Lease)).Select(m => m.ControlId));
        await ReceiveAsync(h, ("s3", "P3"));
        clock.Advance(TimeSpan.FromSeconds(25));              // every claim and lease of node A is due

        // Another transaction (as a lane completing node A's batch inside its FHIR write) holds every
        // inbox and lease row of node A until this test lets go.
        await using var other = new NpgsqlConnection(store.ConnectionString);
        await other.OpenAsync();
        await using (var scope = new NpgsqlCommand("SELECT set_config('meridian.scope', 'system', false)", other))
        {
            await scope.ExecuteScalarAsync();
        }
        await using var tx = await other.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT count(*) FROM (SELECT id FROM hl7_inbox WHERE claimed_by = 'node-a' FOR UPDATE) i", other, tx))
        {
            Assert.Equal(2L, await hold.ExecuteScalarAsync());
        }
        await using (var hold = new NpgsqlCommand("SELECT count(*) FROM (SELECT bucket FROM hl7_key_leases WHERE node = 'node-a' FOR UPDATE) l", other, tx))
        {
            Assert.Equal(2L, await hold.ExecuteScalarAsync());
        }

        // Both return while the rows stay locked (waiting would block until the token's bound).
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await inbox.RenewClaimsAsync("node-a", Lease, bound.Token);
        Assert.Equal("s3", Assert.Single(await inbox.ClaimAsync("node-a", 10, Lease, bound.Token)).ControlId);
        await tx.RollbackAsync();

        // The skipped claims were not extended: they lapse at 30 s and another node takes them
        // (in a real run the next renewal, a second later, extends them).
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(["s1", "s2"], (await inbox.ClaimAsync("node-b", 10, Lease)).Select(m => m.ControlId));
    }
}
