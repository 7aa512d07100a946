using System.Text;
using System.Text.Json;
using Meridian.Storage.Protection;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests.Protection;

/// <summary>
/// Encryption at rest against a real database: what reaches the disk, and what happens when
/// an attacker with database access alters, swaps or moves rows, or the server starts with the
/// wrong master key. Each test uses its own tenant.
/// </summary>
public abstract class ProtectionTests(EncryptedStoreFixture fixture)
{
    private readonly string _tenant = "p" + Guid.NewGuid().ToString("N")[..12];

    private IFhirStore Store => fixture.Store;

    /// <summary>A patient whose note sits in an extension no search parameter indexes.</summary>
    internal static ResourceContent Patient(string family, string note) => Examples.Content(
        $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}],"extension":[{"url":"urn:meridian:test:note","valueString":"{{note}}"}]}""");

    private async Task<StoredResource> WriteAsync(WriteOperation op, string? tenant = null)
    {
        var result = await Store.TransactAsync(tenant ?? _tenant, [op]);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Results[0].Resource!;
    }

    private static string Note(StoredResource r) =>
        JsonDocument.Parse(r.Json).RootElement.GetProperty("extension")[0].GetProperty("valueString").GetString()!;

    [Fact]
    public async Task No_plaintext_of_a_stored_resource_reaches_the_database()
    {
        var family = "Quortle" + Guid.NewGuid().ToString("N")[..8];
        var note1 = "NOTE-ONE-" + Guid.NewGuid().ToString("N");
        var note2 = "NOTE-TWO-" + Guid.NewGuid().ToString("N");
        var created = await WriteAsync(new CreateOperation("Patient", Patient(family, note1)));
        await WriteAsync(new UpdateOperation("Patient", created.Id, Patient(family, note2)));

        foreach (var version in new long[] { 1, 2 })
        {
            var raw = await fixture.RawJsonAsync(_tenant, "Patient", created.Id, version);
            Assert.Equal(PayloadFormat.Version1, raw[0]);
            var text = Encoding.UTF8.GetString(raw);
            Assert.DoesNotContain(family, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Patient", text, StringComparison.Ordinal);
            Assert.DoesNotContain(created.Id, text, StringComparison.Ordinal);
        }
        // The notes are indexed nowhere, so no byte of the database (file pages and WAL for
        // SQLite; payloads, change feed and keys for PostgreSQL) may hold them. The family name
        // is a search value and lives in string_index by design (docs/encryption.md).
        Assert.False(await fixture.ContainsPlaintextAsync(note1));
        Assert.False(await fixture.ContainsPlaintextAsync(note2));

        Assert.Equal(note2, Note((await Store.ReadAsync(_tenant, "Patient", created.Id))!));
        Assert.Equal(note1, Note((await Store.ReadVersionAsync(_tenant, "Patient", created.Id, 1))!));
        var history = await Store.HistoryAsync(_tenant, new HistoryQuery { Type = "Patient", Id = created.Id });
        Assert.Equal([note2, note1], history.Entries.Select(Note));
    }

    [Fact]
    public async Task A_deleted_version_is_sealed_too_and_reads_back_empty()
    {
        var created = await WriteAsync(new CreateOperation("Patient", Patient("Gone", "n")));
        await WriteAsync(new DeleteOperation("Patient", created.Id));
        var raw = await fixture.RawJsonAsync(_tenant, "Patient", created.Id, 2);
        Assert.Equal(PayloadFormat.Overhead, raw.Length);
        var deleted = await Store.ReadVersionAsync(_tenant, "Patient", created.Id, 2);
        Assert.True(deleted!.IsDeleted);
        Assert.Equal(0, deleted.Json.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(-1)]
    public async Task A_changed_byte_anywhere_in_the_payload_fails_with_a_clear_error(int position)
    {
        var created = await WriteAsync(new CreateOperation("Patient", Patient("Tamper", "secret")));
        var raw = await fixture.RawJsonAsync(_tenant, "Patient", created.Id, 1);
        var at = position < 0 ? raw.Length + position : position;
        raw[at] ^= 0x01;
        await fixture.WriteRawJsonAsync(_tenant, "Patient", created.Id, 1, raw);
        var error = await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(_tenant, "Patient", created.Id));
        Assert.Contains($"Patient/{created.Id}/_history/1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_and_plaintext_payloads_are_refused()
    {
        var a = await WriteAsync(new CreateOperation("Patient", Patient("Short", "x")));
        var raw = await fixture.RawJsonAsync(_tenant, "Patient", a.Id, 1);
        await fixture.WriteRawJsonAsync(_tenant, "Patient", a.Id, 1, raw[..20]);
        Assert.Contains("not a Meridian encrypted payload", (await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(_tenant, "Patient", a.Id))).Message, StringComparison.Ordinal);

        var b = await WriteAsync(new CreateOperation("Patient", Patient("Plain", "x")));
        await fixture.WriteRawJsonAsync(_tenant, "Patient", b.Id, 1, Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","id":"{{b.Id}}"}"""));
        Assert.Contains("stored unencrypted", (await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(_tenant, "Patient", b.Id))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_moved_to_another_resource_version_or_tenant_does_not_decrypt()
    {
        var a = await WriteAsync(new CreateOperation("Patient", Patient("Alpha", "a1")));
        var b = await WriteAsync(new CreateOperation("Patient", Patient("Beta", "b1")));
        await WriteAsync(new UpdateOperation("Patient", a.Id, Patient("Alpha", "a2")));
        var otherTenant = _tenant + "x";
        var c = await WriteAsync(new UpdateOperation("Patient", a.Id, Patient("Alpha", "c1")), otherTenant);

        // Another resource of the same tenant and type (same data key).
        await fixture.WriteRawJsonAsync(_tenant, "Patient", b.Id, 1, await fixture.RawJsonAsync(_tenant, "Patient", a.Id, 1));
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(_tenant, "Patient", b.Id));

        // An older version of the same resource replayed as the current one.
        await fixture.WriteRawJsonAsync(_tenant, "Patient", a.Id, 2, await fixture.RawJsonAsync(_tenant, "Patient", a.Id, 1));
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(_tenant, "Patient", a.Id));
        Assert.Equal("a1", Note((await Store.ReadVersionAsync(_tenant, "Patient", a.Id, 1))!));

        // The same id in another tenant: that tenant's data key and the tenant binding both refuse.
        await fixture.WriteRawJsonAsync(otherTenant, "Patient", c.Id, 1, await fixture.RawJsonAsync(_tenant, "Patient", a.Id, 1));
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.ReadAsync(otherTenant, "Patient", c.Id));
    }

    [Fact]
    public async Task Search_results_are_decrypted()
    {
        var family = "Searchable" + Guid.NewGuid().ToString("N")[..6];
        await WriteAsync(new CreateOperation("Patient", Patient(family, "found-me")));
        var query = new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate(family)));
        var result = await Store.SearchAsync(_tenant, query);
        Assert.Equal("found-me", Note(Assert.Single(result.Matches)));
    }

    [Fact]
    public async Task The_wrong_master_key_is_refused_at_start_and_cannot_read()
    {
        var created = await WriteAsync(new CreateOperation("Patient", Patient("Keyed", "k")));
        var wrong = MasterKey.Generate();
        var store = fixture.Open(wrong);
        try
        {
            var problems = await new EnvelopeProtector(wrong).VerifyAsync((IDataKeyStore)store);
            Assert.Contains(problems, p => p.Contains("not wrapped under the configured master key " + wrong.Id, StringComparison.Ordinal));
            var error = await Assert.ThrowsAsync<PayloadProtectionException>(() => store.ReadAsync(_tenant, "Patient", created.Id));
            Assert.Contains(wrong.Id, error.Message, StringComparison.Ordinal);
            Assert.Empty(await new EnvelopeProtector(fixture.Master).VerifyAsync((IDataKeyStore)store));
        }
        finally
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_rolled_back_first_write_leaves_no_key_behind_and_the_next_write_works()
    {
        var tenant = _tenant + "rb";
        var duplicate = await WriteAsync(new CreateOperation("Patient", Patient("Dup", "d"), "dup-1"), tenant + "0");
        // Fails (AlreadyExists) after the tenant's first key was added in the same transaction.
        var failed = await Store.TransactAsync(tenant, [new CreateOperation("Patient", Patient("X", "x"), "same"), new CreateOperation("Patient", Patient("Y", "y"), "same")]);
        Assert.False(failed.Succeeded);
        Assert.DoesNotContain(await ((IDataKeyStore)Store).ListDataKeysAsync(), k => k.Tenant == tenant);
        var ok = await WriteAsync(new CreateOperation("Patient", Patient("Z", "z")), tenant);
        Assert.Equal("z", Note((await Store.ReadAsync(tenant, "Patient", ok.Id))!));
        Assert.Equal("d", Note((await Store.ReadAsync(tenant + "0", "Patient", duplicate.Id))!));
    }
}
