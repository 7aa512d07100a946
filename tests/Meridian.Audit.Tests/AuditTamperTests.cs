using System.Text;
using Meridian.Audit.Tests.Support;

namespace Meridian.Audit.Tests;

/// <summary>Tampering with stored audit rows behind the server's back, on both stores:
/// <c>meridian audit verify</c> reports the first break with its kind and fails.</summary>
public abstract class AuditTamperTests(AuditServerFixture fixture)
{
    protected AuditServerFixture Fixture { get; } = fixture;

    /// <summary>A fresh tenant with exactly eight audit records (sequences 1-8).</summary>
    private async Task<string> TenantWithEightRecordsAsync()
    {
        var tenant = AuditServerFixture.NewTenant();
        for (var i = 0; i < 8; i++)
        {
            using var reply = await Fixture.Http.GetAsync($"{Fixture.Base(tenant)}/Patient?name=n{i}");
            Assert.True(reply.IsSuccessStatusCode);
        }
        var (exit, output, _) = await Verify(tenant);
        Assert.Equal(0, exit);
        Assert.Contains("intact, 8 records", output, StringComparison.Ordinal);
        return tenant;
    }

    private Task<(int Exit, string Out, string Err)> Verify(string tenant) =>
        MeridianCommand.Run(["audit", "verify", .. Fixture.StoreArguments, "--tenant", tenant]);

    private async Task AssertBreak(string tenant, long sequence, string kind)
    {
        var (exit, output, err) = await Verify(tenant);
        Assert.True(exit == 1, output + err);
        Assert.True(output.Contains($"BROKEN at record {sequence}: {kind}:", StringComparison.Ordinal), output);
    }

    private const string IdAt = "(SELECT id FROM audit_chain WHERE tenant = @p0 AND seq = @p1)";

    [Fact]
    public async Task A_changed_audit_event_is_detected_at_its_record()
    {
        var tenant = await TenantWithEightRecordsAsync();
        var rows = await Fixture.QueryAsync($"SELECT json FROM resources WHERE tenant = @p0 AND type = 'AuditEvent' AND id = {IdAt}", tenant, 5L);
        var json = Encoding.UTF8.GetString((byte[])rows.Single()[0]).Replace("\"outcome\":\"0\"", "\"outcome\":\"4\"", StringComparison.Ordinal);
        Assert.Equal(1, await Fixture.ExecuteAsync($"UPDATE resources SET json = @p2 WHERE tenant = @p0 AND type = 'AuditEvent' AND id = {IdAt}", tenant, 5L, Encoding.UTF8.GetBytes(json)));
        await AssertBreak(tenant, 5, "changed");
    }

    [Fact]
    public async Task A_deleted_chain_row_is_detected()
    {
        var tenant = await TenantWithEightRecordsAsync();
        Assert.Equal(1, await Fixture.ExecuteAsync("DELETE FROM audit_chain WHERE tenant = @p0 AND seq = @p1", tenant, 4L));
        await AssertBreak(tenant, 4, "deleted");
    }

    [Fact]
    public async Task A_deleted_audit_event_row_is_detected()
    {
        var tenant = await TenantWithEightRecordsAsync();
        Assert.Equal(1, await Fixture.ExecuteAsync($"DELETE FROM resources WHERE tenant = @p0 AND type = 'AuditEvent' AND id = {IdAt}", tenant, 6L));
        await AssertBreak(tenant, 6, "deleted");
    }

    [Fact]
    public async Task An_inserted_audit_event_row_is_detected()
    {
        var tenant = await TenantWithEightRecordsAsync();
        var (t, f) = Fixture.IsPostgres ? ("true", "false") : ("1", "0");
        var forged = Encoding.UTF8.GetBytes("""{"resourceType":"AuditEvent","id":"forged","meta":{"versionId":"1"}}""");
        Assert.Equal(1, await Fixture.ExecuteAsync(
            $"INSERT INTO resources (tenant, type, id, version, resource_key, last_updated, deleted, is_current, json) VALUES (@p0, 'AuditEvent', 'forged', 1, @p1, @p2, {f}, {t}, @p3)",
            tenant, 900_000_000_000L + Random.Shared.Next(1_000_000), DateTimeOffset.UtcNow.UtcTicks, forged));
        await AssertBreak(tenant, 9, "inserted");
        var (_, output, _) = await Verify(tenant);
        Assert.Contains("AuditEvent/forged/_history/1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swapped_records_are_detected_as_reordered()
    {
        var tenant = await TenantWithEightRecordsAsync();
        Assert.Equal(1, await Fixture.ExecuteAsync("UPDATE audit_chain SET seq = -3 WHERE tenant = @p0 AND seq = 3", tenant));
        Assert.Equal(1, await Fixture.ExecuteAsync("UPDATE audit_chain SET seq = 3 WHERE tenant = @p0 AND seq = 4", tenant));
        Assert.Equal(1, await Fixture.ExecuteAsync("UPDATE audit_chain SET seq = 4 WHERE tenant = @p0 AND seq = -3", tenant));
        await AssertBreak(tenant, 3, "reordered");
    }

    [Fact]
    public async Task Other_tenants_chains_still_verify_and_the_exit_code_reflects_any_break()
    {
        var broken = await TenantWithEightRecordsAsync();
        var intact = await TenantWithEightRecordsAsync();
        Assert.Equal(1, await Fixture.ExecuteAsync("DELETE FROM audit_chain WHERE tenant = @p0 AND seq = 7", broken));
        Assert.Equal(0, (await Verify(intact)).Exit);
        var (exit, output, _) = await MeridianCommand.Run(["audit", "verify", .. Fixture.StoreArguments]);
        Assert.Equal(1, exit);
        Assert.Contains($"tenant {intact}: intact, 8 records", output, StringComparison.Ordinal);
        Assert.Contains($"tenant {broken}: BROKEN at record 7: deleted", output, StringComparison.Ordinal);
    }
}

public sealed class SqliteAuditTamperTests(SqliteAuditServerFixture fixture) : AuditTamperTests(fixture), IClassFixture<SqliteAuditServerFixture>;

public sealed class PostgresAuditTamperTests(PostgresAuditServerFixture fixture) : AuditTamperTests(fixture), IClassFixture<PostgresAuditServerFixture>;
