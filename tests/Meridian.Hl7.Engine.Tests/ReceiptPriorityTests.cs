using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Receipt comes before mapping: while messages are being received the dispatcher runs at most
/// <see cref="Hl7EngineOptions.ProcessingLanesWhileReceiving"/> lanes at once (mapping keeps going,
/// on fewer lanes); once receipt is quiet every lane runs again.
/// </summary>
public abstract class ReceiptPriorityTests
{
    protected abstract EngineStore NewStore();

    [Fact]
    public async Task While_receiving_one_lane_maps_and_once_quiet_the_lanes_run_in_parallel()
    {
        var processor = new RecordingProcessor { During = _ => Task.Delay(10) };
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store, o => (o.ProcessingLanes, o.ProcessingLanesWhileReceiving) = (4, 1), processor);
        var dispatcher = h.Engine.Dispatcher!;

        // A receipt held open (a slow sender mid-message) keeps the engine busy receiving throughout.
        using (h.Engine.Receiver.Pressure.Begin())
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async c =>
            {
                await using var client = await h.ConnectAsync();
                for (var i = 0; i < 6; i++)
                {
                    Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Adt($"B{c}-{i}", $"PAT-{c}-{i}")))));
                }
            }));
            Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processor.Processed.Count == 24)), $"processed {processor.Processed.Count} of 24 while receiving");
            Assert.Equal(1, processor.MaxConcurrency);
            Assert.Equal(1, dispatcher.MostRunningWhileBusy);
        }

        // Quiet: two messages of different keys wait for each other inside the processor, which only
        // parallel lanes get past.
        using var both = new CountdownEvent(2);
        processor.During = m => m.ControlId.StartsWith('Q')
            ? Task.Run(() =>
            {
                both.Signal();
                Assert.True(both.Wait(TimeSpan.FromSeconds(30)), "the lanes did not run in parallel once receipt was quiet");
            })
            : Task.CompletedTask;
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("Q1", "PAT-Q1"))));
        Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("Q2", "PAT-Q2"))));
        Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processor.Processed.Count == 26)), $"processed {processor.Processed.Count} of 26");
        Assert.Equal(0, both.CurrentCount);
        Assert.True(processor.MaxConcurrency >= 2, $"max concurrency {processor.MaxConcurrency}");
        Assert.Equal(0, h.Engine.Receiver.Pressure.InFlight);
    }

    [Fact]
    public void Receipt_pressure_counts_receipts_under_way_and_a_quiet_window_after_them()
    {
        var none = new ReceiptPressure(TimeSpan.Zero);
        Assert.False(none.IsBusy);
        using (none.Begin())
        using (none.Begin())
        {
            Assert.Equal(2, none.InFlight);
            Assert.True(none.IsBusy);
        }
        Assert.Equal(0, none.InFlight);
        var windowed = new ReceiptPressure(TimeSpan.FromHours(1));
        Assert.False(windowed.IsBusy); // nothing received yet
        using (windowed.Begin())
        {
        }
        Assert.True(windowed.IsBusy); // within the quiet window of the last receipt
    }

    [Fact]
    public void Lanes_while_receiving_must_be_at_least_one()
    {
        var options = new Hl7EngineOptions { ProcessingLanesWhileReceiving = 0 };
        Assert.Contains(options.Problems(), p => p.Contains("ProcessingLanesWhileReceiving", StringComparison.Ordinal));
    }
}

public sealed class SqliteReceiptPriorityTests : ReceiptPriorityTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresReceiptPriorityTests : ReceiptPriorityTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
