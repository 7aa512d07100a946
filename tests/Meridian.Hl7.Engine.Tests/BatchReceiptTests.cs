using System.Text;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>FHS/BHS batches inside one MLLP frame, over TCP, on each store.</summary>
public abstract class BatchReceiptTests
{
    protected abstract EngineStore NewStore();

    private static string Batch(string batchId, int? declaredCount, params string[] messages) =>
        $"FHS|^~\\&|ADTAPP|HOSP|MERIDIAN|MERIDIAN|20240102030405||||F{batchId}\r" +
        $"BHS|^~\\&|ADTAPP|HOSP|MERIDIAN|MERIDIAN|20240102030405||||{batchId}\r" +
        string.Concat(messages) +
        $"BTS|{declaredCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""}\r" +
        "FTS|1\r";

    private static List<string> Segments(byte[] frame, string id) =>
        [.. Encoding.UTF8.GetString(frame).Split('\r').Where(s => s.StartsWith(id + "|", StringComparison.Ordinal))];

    [Fact]
    public async Task Each_message_of_a_batch_is_its_own_inbox_row_and_the_answer_is_an_ACK_batch_with_one_ACK_per_message()
    {
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store);
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("B2", "P2")))); // sent alone before
        var answer = await h.SendAsync(Batch("BATCH7", 3, TestMessages.Adt("B1", "P1"), TestMessages.Adt("B2", "P2"), TestMessages.Oru("B3", "P3")));

        Assert.StartsWith("FHS|", Encoding.UTF8.GetString(answer), StringComparison.Ordinal);
        var bhs = Assert.Single(Segments(answer, "BHS")).Split('|');
        Assert.Equal("BATCH7", bhs[11]);                                     // BHS-12: the batch answered
        Assert.Equal("FBATCH7", Assert.Single(Segments(answer, "FHS")).Split('|')[11]);
        var msas = Segments(answer, "MSA").Select(s => s.Split('|')).ToList();
        Assert.Equal(["B1", "B2", "B3"], msas.Select(m => m[2]));           // one ACK per message, in order
        Assert.All(msas, m => Assert.Equal("AA", m[1]));
        Assert.Equal(3, Segments(answer, "MSH").Count);
        Assert.Equal("BTS|3", Assert.Single(Segments(answer, "BTS")));

        var pending = await h.Inbox.PendingAsync(0, 10);
        Assert.Equal(["B2", "B1", "B3"], pending.Select(m => m.ControlId)); // B2 once (duplicate detection per MSH-10)
        Assert.Equal(TestMessages.Bytes(TestMessages.Oru("B3", "P3")), pending[2].Raw);
        Assert.Equal(4, await h.AuditCountAsync());

        var again = await h.SendAsync(Batch("BATCH7", 3, TestMessages.Adt("B1", "P1"), TestMessages.Adt("B2", "P2"), TestMessages.Oru("B3", "P3")));
        Assert.Equal(3, Segments(again, "MSA").Count(s => s.StartsWith("MSA|AA|", StringComparison.Ordinal)));
        Assert.Equal(3, (await h.Inbox.PendingAsync(0, 10)).Length);
    }

    [Fact]
    public async Task A_malformed_batch_is_refused_AR_with_the_reason_and_nothing_of_it_is_stored()
    {
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store);
        var wrongCount = await h.SendAsync(Batch("BAD1", 5, TestMessages.Adt("X1", "P1"), TestMessages.Adt("X2", "P2")));
        Assert.Equal("AR", TestMessages.AckCode(wrongCount));
        Assert.Contains("malformed batch", TestMessages.Field(wrongCount, "MSA", 3), StringComparison.Ordinal);
        Assert.Contains("BTS-1", TestMessages.Field(wrongCount, "MSA", 3), StringComparison.Ordinal);

        var noControlId = await h.SendAsync(Batch("BAD2", 2, TestMessages.Adt("X3", "P3"), TestMessages.Adt("", "P4")));
        Assert.Equal("AR", TestMessages.AckCode(noControlId));
        Assert.Contains("MSH-10", TestMessages.Field(noControlId, "MSA", 3), StringComparison.Ordinal);

        Assert.Empty(await h.Inbox.PendingAsync(0, 10));
        var errors = await h.Inbox.ListErrorsAsync(new ErrorQuery());
        Assert.Equal(2, errors.Length); // kept raw for the operator, not in the inbox
        Assert.Contains("BTS|5", Encoding.UTF8.GetString(errors[0].Raw), StringComparison.Ordinal);
    }
}

public sealed class SqliteBatchReceiptTests : BatchReceiptTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresBatchReceiptTests : BatchReceiptTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
