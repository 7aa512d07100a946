using System.Text;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Protection;
using Meridian.Storage.Relational;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// The inbox and error store under the store's envelope encryption (ADR 0016): PHI never reaches
/// the tables in clear, everything still reads through the inbox, rows written before encryption
/// still read, and a wrong master key fails with a clear error instead of returning garbage.
/// </summary>
public abstract class EncryptionAtRestTests
{
    // A patient name and identifier no header field, control id or sender contains.
    private const string Phi = "Quixotezyx";
    private const string PatientId = "MRN77123";

    protected abstract EngineStore NewStore();

    private static string Adt(string controlId, string app = "ADTAPP") =>
        TestMessages.Adt(controlId, PatientId, app: app).Replace("Doe^Jane", Phi + "^Jane", StringComparison.Ordinal);

    private static void Configure(Hl7EngineOptions o)
    {
        o.RejectUnknownSenders = true;
        o.Senders["ADTAPP|HOSP"] = new Hl7SenderOptions { ClientId = "adt-feed", OrderingKey = "PID-3.1" };
    }

    [Fact]
    public async Task Raw_messages_ordering_keys_and_reasons_are_sealed_in_the_tables_and_open_through_the_inbox()
    {
        await using var store = NewStore();
        store.Master = MasterKey.Generate();
        await using var h = await EngineHarness.StartAsync(store, Configure);
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(Adt("S1"))));
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(Adt("S2"))));
        Assert.Equal("AR", TestMessages.AckCode(await h.SendAsync(Adt("S3", app: "STRANGER")))); // refused: kept raw in the error store
        var pending = await h.Inbox.PendingAsync(0, 10);
        Assert.Equal(2, pending.Length);
        // A processing failure whose reason quotes the segment (as mapping errors do).
        await h.Inbox.CompleteAsync(pending[1].Id, ProcessingOutcome.Failed($"PID-5 '{Phi}^Jane' has no family name mapping"));

        var tableBytes = await TableBytesAsync(h.Store);
        Assert.True(tableBytes.Length > 1000);
        Assert.DoesNotContain(Phi, tableBytes, StringComparison.Ordinal);
        Assert.DoesNotContain(PatientId, tableBytes, StringComparison.Ordinal);
        Assert.Contains("ADTAPP|HOSP", tableBytes, StringComparison.Ordinal); // searchable columns stay clear
        Assert.Contains("S1", tableBytes, StringComparison.Ordinal);

        var first = await h.Inbox.GetAsync(pending[0].Id);
        Assert.Equal(TestMessages.Bytes(Adt("S1")), first!.Raw);
        Assert.Equal(PatientId, first.OrderingKey);
        var failed = await h.Inbox.GetAsync(pending[1].Id);
        Assert.Equal(InboxStatus.Failed, failed!.Status);
        Assert.Contains(Phi, failed.Reason, StringComparison.Ordinal);

        var errors = await h.Inbox.ListErrorsAsync(new ErrorQuery());
        Assert.Equal(2, errors.Length);
        var refused = Assert.Single(errors, e => e.Stage == ErrorStage.Receive);
        Assert.Equal(TestMessages.Bytes(Adt("S3", app: "STRANGER")), refused.Raw);
        Assert.Contains("unknown sender", refused.Reason, StringComparison.Ordinal);
        var processing = Assert.Single(errors, e => e.Stage == ErrorStage.Process);
        Assert.Equal(TestMessages.Bytes(Adt("S2")), processing.Raw);
        // Text search still matches sealed reasons (after opening them).
        Assert.Equal(processing.Id, Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery { Text = "family name mapping" })).Id);
        Assert.Empty(await h.Inbox.ListErrorsAsync(new ErrorQuery { Text = "no such text" }));

        // Replay: the processing failure goes back to received; the refusal is received again once configured.
        Assert.True((await h.Engine.Replay.ReplayAsync(processing.Id)).Replayed);
        Assert.Equal(InboxStatus.Received, (await h.Inbox.GetAsync(pending[1].Id))!.Status);
        h.Options.Senders["STRANGER|HOSP"] = new Hl7SenderOptions { ClientId = "stranger-feed" };
        var replay = await h.Engine.Replay.ReplayAsync(refused.Id);
        Assert.True(replay.Replayed, replay.Message);
        Assert.Equal(3, (await h.Inbox.PendingAsync(0, 10)).Length);
        Assert.DoesNotContain(Phi, await TableBytesAsync(h.Store), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_stored_before_encryption_still_read_and_new_rows_are_sealed()
    {
        await using var store = NewStore();
        await using (var plain = await EngineHarness.StartAsync(store, Configure))
        {
            Assert.Equal("AA", TestMessages.AckCode(await plain.SendAsync(Adt("OLD1"))));
            Assert.Equal("AR", TestMessages.AckCode(await plain.SendAsync(Adt("OLD2", app: "STRANGER"))));
            var old = Assert.Single(await plain.Inbox.PendingAsync(0, 10));
            await plain.Inbox.CompleteAsync(old.Id, ProcessingOutcome.Failed("plain reason " + Phi));
            Assert.Contains(Phi, await TableBytesAsync(plain.Store), StringComparison.Ordinal); // written in clear
        }
        store.Master = MasterKey.Generate();
        await using var h = await EngineHarness.StartAsync(store, Configure);
        var oldRow = (await h.Inbox.GetAsync(1))!;
        Assert.Equal(TestMessages.Bytes(Adt("OLD1")), oldRow.Raw);
        Assert.Equal(PatientId, oldRow.OrderingKey);
        Assert.Equal("plain reason " + Phi, oldRow.Reason);
        var errors = await h.Inbox.ListErrorsAsync(new ErrorQuery());
        Assert.Equal(2, errors.Length);
        Assert.All(errors, e => Assert.Contains("OLD", Encoding.UTF8.GetString(e.Raw), StringComparison.Ordinal));
        Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery { Text = "plain reason" }));

        // Replaying the old failure and failing it again seals the new reason.
        var processing = Assert.Single(errors, e => e.Stage == ErrorStage.Process);
        Assert.True((await h.Engine.Replay.ReplayAsync(processing.Id)).Replayed);
        await h.Inbox.CompleteAsync(oldRow.Id, ProcessingOutcome.Failed("sealed reason"));
        Assert.Equal("sealed reason", (await h.Inbox.GetAsync(oldRow.Id))!.Reason);
        Assert.Equal(TestMessages.Bytes(Adt("OLD1")), (await h.Inbox.GetAsync(oldRow.Id))!.Raw);
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(Adt("NEW1"))));
        var fresh = Assert.Single(await h.Inbox.PendingAsync(0, 10));
        Assert.Equal(TestMessages.Bytes(Adt("NEW1")), fresh.Raw);
        var bytes = await TableBytesAsync(h.Store);
        Assert.DoesNotContain("NEW1|P|2.5.1", bytes, StringComparison.Ordinal); // the new raw is sealed
    }

    [Fact]
    public async Task A_wrong_master_key_fails_clearly_instead_of_returning_garbage()
    {
        await using var store = NewStore();
        store.Master = MasterKey.Generate();
        long id;
        await using (var h = await EngineHarness.StartAsync(store, Configure))
        {
            Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(Adt("W1"))));
            id = Assert.Single(await h.Inbox.PendingAsync(0, 10)).Id;
        }
        store.Master = MasterKey.Generate();
        await using var wrong = await EngineHarness.StartAsync(store, Configure);
        var ex = await Assert.ThrowsAsync<PayloadProtectionException>(() => wrong.Inbox.GetAsync(id));
        Assert.Contains("master key", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => wrong.Inbox.PendingAsync(0, 10));
    }

    /// <summary>Every value of every hl7_inbox and hl7_errors row, as the database holds it (UTF-8 / text).</summary>
    private static async Task<string> TableBytesAsync(IFhirStore store)
    {
        var db = store.Find<IModuleDatabase>()!;
        return await db.ReadAsync(async (connection, ct) =>
        {
            var text = new StringBuilder();
            foreach (var table in (string[])["hl7_inbox", "hl7_errors"])
            {
                await using var cmd = connection.CreateCommand();
#pragma warning disable CA2100 // constant table names
                cmd.CommandText = $"SELECT * FROM {table}";
#pragma warning restore CA2100
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    for (var i = 0; i < r.FieldCount; i++)
                    {
                        var value = r.GetValue(i);
                        text.Append(value is byte[] b ? Encoding.UTF8.GetString(b) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                    }
                }
            }
            return text.ToString();
        });
    }
}

public sealed class SqliteEncryptionAtRestTests : EncryptionAtRestTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresEncryptionAtRestTests : EncryptionAtRestTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
