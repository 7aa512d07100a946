using System.Text;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>The engine over real TCP on 127.0.0.1, on each store (subclasses below).</summary>
public abstract class EngineTcpTests
{
    protected abstract EngineStore NewStore();

    private async Task<(EngineHarness Harness, EngineStore Store)> StartAsync(Action<Hl7EngineOptions>? configure = null, RecordingProcessor? processor = null)
    {
        var store = NewStore();
        return (await EngineHarness.StartAsync(store, configure, processor), store);
    }

    [Fact]
    public async Task Original_mode_message_is_stored_then_acknowledged_AA_and_audited_as_the_senders_client()
    {
        var (h, store) = await StartAsync(o => o.Senders["ADTAPP|HOSP"] = new Hl7SenderOptions { ClientId = "adt-feed", MappingSet = "adt-default" });
        await using (store)
        await using (h)
        {
            var ack = await h.SendAsync(TestMessages.Adt("C1", "P1"));
            Assert.Equal("AA", TestMessages.AckCode(ack));
            Assert.Equal("C1", TestMessages.Field(ack, "MSA", 2));
            Assert.Equal("ADTAPP", TestMessages.Field(ack, "MSH", 5)); // answered to the sender
            var pending = await h.Inbox.PendingAsync(0, 10);
            var stored = Assert.Single(pending);
            Assert.Equal(("ADTAPP|HOSP", "C1", "ADT^A01", "P1", "adt-feed", "adt-default"), (stored.Sender, stored.ControlId, stored.MessageType, stored.OrderingKey, stored.ClientId, stored.MappingSet));
            Assert.Equal(InboxStatus.Received, stored.Status); // no processor: awaiting mapping, kept
            Assert.Equal(TestMessages.Bytes(TestMessages.Adt("C1", "P1")), stored.Raw);
            Assert.Equal(1, await h.AuditCountAsync());
            var audit = (await h.Store.SearchAsync("default", new Storage.Search.SearchQuery("AuditEvent"))).Matches.Single();
            var json = Encoding.UTF8.GetString(audit.Json.Span);
            Assert.Contains("adt-feed", json, StringComparison.Ordinal);
            Assert.Contains("hl7v2-receive", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Enhanced_mode_message_gets_a_commit_accept_CA()
    {
        var (h, store) = await StartAsync();
        await using (store)
        await using (h)
        {
            var ack = await h.SendAsync(TestMessages.Adt("E1", "P1", acceptAck: "AL", appAck: "NE"));
            Assert.Equal("CA", TestMessages.AckCode(ack));
            Assert.Single(await h.Inbox.PendingAsync(0, 10));
        }
    }

    [Fact]
    public async Task A_resent_message_is_acknowledged_again_but_stored_and_processed_once()
    {
        var processor = new RecordingProcessor();
        var (h, store) = await StartAsync(processor: processor);
        await using (store)
        await using (h)
        {
            Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("D1", "P1"))));
            Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processor.Processed.Count == 1)));
            await using (var client = await h.ConnectAsync())
            {
                // Twice more: once alone, once pipelined with itself in one write.
                Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Adt("D1", "P1")))));
                var frame = MllpFraming.Wrap(TestMessages.Bytes(TestMessages.Adt("D1", "P1")));
                await client.WriteRawAsync(frame.Concat(frame).ToArray());
                Assert.Equal("AA", TestMessages.AckCode(await client.ReadFrameAsync()));
                Assert.Equal("AA", TestMessages.AckCode(await client.ReadFrameAsync()));
            }
            var counts = await h.Inbox.CountsAsync();
            Assert.Equal(1, counts.Values.Sum() - counts.GetValueOrDefault("errors-open"));
            await Task.Delay(300); // two rescans: a second processing would show up
            Assert.Equal(1, Assert.Single(processor.Calls).Value);
            Assert.Equal(4, await h.AuditCountAsync()); // every receipt audited, duplicates too
        }
    }

    [Fact]
    public async Task Malformed_payloads_get_a_negative_ack_with_the_reason_and_are_kept_raw_in_the_error_store()
    {
        var (h, store) = await StartAsync();
        await using (store)
        await using (h)
        {
            var noMsh = await h.SendAsync("PID|1||123\r");
            Assert.Equal("AE", TestMessages.AckCode(noMsh));
            Assert.Contains("MSH", TestMessages.Field(noMsh, "MSA", 3), StringComparison.Ordinal);
            var noControlId = await h.SendAsync(TestMessages.Adt("", "P1"));
            Assert.Equal("AE", TestMessages.AckCode(noControlId));
            var enhanced = await h.SendAsync(TestMessages.Adt("", "P1", acceptAck: "AL"));
            Assert.Equal("CR", TestMessages.AckCode(enhanced));

            var errors = await h.Inbox.ListErrorsAsync(new ErrorQuery { Status = ErrorStatus.Open });
            Assert.Equal(3, errors.Length);
            Assert.All(errors, e => Assert.Equal(ErrorStage.Receive, e.Stage));
            Assert.Equal("PID|1||123\r", Encoding.UTF8.GetString(errors[0].Raw));
            Assert.Contains("MSH-10", errors[1].Reason, StringComparison.Ordinal);
            Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery { Text = "does not start" }));
            Assert.Empty(await h.Inbox.PendingAsync(0, 10));
            Assert.Equal(3, await h.AuditCountAsync());
        }
    }

    [Fact]
    public async Task Unknown_senders_and_unexpected_versions_are_rejected_AR_and_replay_stores_them_once_configuration_allows()
    {
        var (h, store) = await StartAsync(o =>
        {
            o.RejectUnknownSenders = true;
            o.Senders["LAB"] = new Hl7SenderOptions { ClientId = "lab-feed", ExpectedVersion = "2.5.1", Tenant = "acme" };
        });
        await using (store)
        await using (h)
        {
            var unknown = await h.SendAsync(TestMessages.Adt("U1", "P1", app: "STRANGER"));
            Assert.Equal("AR", TestMessages.AckCode(unknown));
            Assert.Equal("204", TestMessages.Field(unknown, "ERR", 3).Split('^')[0]);
            var wrongVersion = await h.SendAsync(TestMessages.Adt("V1", "P1", app: "LAB", version: "2.3"));
            Assert.Equal("AR", TestMessages.AckCode(wrongVersion));
            Assert.Contains("2.3", TestMessages.Field(wrongVersion, "MSA", 3), StringComparison.Ordinal);
            Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("V2", "P1", app: "LAB"))));

            var versionError = Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery { Sender = "LAB|HOSP" }));
            Assert.Equal("acme", versionError.Tenant);

            // Still refused under the same configuration: a new error, the old one marked replayed.
            var again = await h.Engine.Replay.ReplayAsync(versionError.Id);
            Assert.False(again.Replayed);
            Assert.NotNull(again.NewErrorId);

            h.Options.Senders["LAB"].ExpectedVersion = null; // the operator fixed the configuration
            var replayed = await h.Engine.Replay.ReplayAsync(again.NewErrorId!.Value);
            Assert.True(replayed.Replayed, replayed.Message);
            var stored = await h.Inbox.GetAsync(replayed.InboxId!.Value);
            Assert.Equal(("V1", "acme", "lab-feed"), (stored!.ControlId, stored.Tenant, stored.ClientId));
            Assert.False((await h.Engine.Replay.ReplayAsync(again.NewErrorId!.Value)).Replayed); // only once
            Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery { Status = ErrorStatus.Open })); // the unknown sender
        }
    }

    [Fact]
    public async Task Processing_failures_are_kept_with_their_reason_and_replay_processes_them_again()
    {
        var processor = new RecordingProcessor();
        processor.FailControlIds["F1"] = "no mapping for ADT^A01 in set 'x'";
        var (h, store) = await StartAsync(processor: processor);
        await using (store)
        await using (h)
        {
            Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("F1", "P1"))));
            Hl7Error? error = null;
            Assert.True(await EngineHarness.EventuallyAsync(async () =>
                (error = (await h.Inbox.ListErrorsAsync(new ErrorQuery { Stage = ErrorStage.Process })).SingleOrDefault()) is not null));
            Assert.Equal("no mapping for ADT^A01 in set 'x'", error!.Reason);
            Assert.Equal(InboxStatus.Failed, (await h.Inbox.GetAsync(error.InboxId!.Value))!.Status);
            Assert.Equal(TestMessages.Bytes(TestMessages.Adt("F1", "P1")), error.Raw);

            processor.FailControlIds.Clear(); // the mapping was fixed
            Assert.True((await h.Engine.Replay.ReplayAsync(error.Id)).Replayed);
            Assert.True(await EngineHarness.EventuallyAsync(async () => (await h.Inbox.GetAsync(error.InboxId!.Value))!.Status == InboxStatus.Processed));
            Assert.Equal(2, processor.Calls[error.InboxId!.Value]);
            Assert.Empty(await h.Inbox.ListErrorsAsync(new ErrorQuery { Status = ErrorStatus.Open }));
        }
    }

    [Fact]
    public async Task Messages_with_the_same_key_are_processed_in_order_while_different_keys_run_in_parallel()
    {
        var processor = new RecordingProcessor();
        var bothStarted = new CountdownEvent(2);
        var firstOf = new HashSet<string> { "K-A-0", "K-B-0" };
        processor.During = m =>
        {
            if (firstOf.Contains(m.ControlId))
            {
                // The first messages of two keys wait for each other: only parallel lanes get past this.
                bothStarted.Signal();
                return Task.Run(() => Assert.True(bothStarted.Wait(TimeSpan.FromSeconds(30)), "the two keys were not processed in parallel"));
            }
            return Task.Delay(Random.Shared.Next(0, 3));
        };
        var (h, store) = await StartAsync(o => o.ProcessingLanes = 8, processor);
        await using (store)
        await using (h)
        {
            string[] keys = ["A", "B", "C", "D"];
            await Task.WhenAll(keys.Select(async key =>
            {
                await using var client = await h.ConnectAsync();
                for (var i = 0; i < 15; i++)
                {
                    Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Adt($"K-{key}-{i}", "PAT-" + key)))));
                }
            }));
            Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processor.Processed.Count == 60)), $"processed {processor.Processed.Count}");
            foreach (var key in keys)
            {
                var order = processor.Processed.Where(m => m.OrderingKey == "PAT-" + key).Select(m => m.ControlId).ToList();
                Assert.Equal(Enumerable.Range(0, 15).Select(i => $"K-{key}-{i}"), order);
            }
            Assert.True(processor.MaxConcurrency >= 2);
        }
    }

    [Fact]
    public async Task Messages_acknowledged_while_no_processor_runs_are_processed_after_a_restart()
    {
        var (h, store) = await StartAsync();
        await using (store)
        await using (h)
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt($"R{i}", $"P{i % 3}"))));
            }
            Assert.Equal(20, (await h.Inbox.CountsAsync())[InboxStatus.Received]);
            var processor = new RecordingProcessor();
            await h.RestartAsync(processor);
            Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processor.Processed.Count == 20)));
            // The completion mark is written after the processor returns: wait for it too.
            Assert.True(await EngineHarness.EventuallyAsync(async () => (await h.Inbox.CountsAsync()).GetValueOrDefault(InboxStatus.Processed) == 20));
            Assert.Equal(20, processor.Processed.Count);
        }
    }

    [Fact]
    public async Task Split_writes_garbage_between_frames_and_pipelined_frames_all_get_their_acks_in_order()
    {
        var (h, store) = await StartAsync();
        await using (store)
        await using (h)
        {
            await using var client = await h.ConnectAsync();
            var first = MllpFraming.Wrap(TestMessages.Bytes(TestMessages.Adt("S1", "P1")));
            foreach (var b in first[..40])
            {
                await client.WriteRawAsync(new[] { b }); // one byte per TCP write
            }
            await client.WriteRawAsync(first.AsMemory(40));
            Assert.Equal("S1", TestMessages.Field(await client.ReadFrameAsync(), "MSA", 2));

            var burst = Encoding.ASCII.GetBytes("\r\njunk").Concat(MllpFraming.Wrap(TestMessages.Bytes(TestMessages.Adt("S2", "P1"))))
                .Concat(Encoding.ASCII.GetBytes("\n")).Concat(MllpFraming.Wrap(TestMessages.Bytes(TestMessages.Adt("S3", "P2")))).ToArray();
            await client.WriteRawAsync(burst);
            Assert.Equal("S2", TestMessages.Field(await client.ReadFrameAsync(), "MSA", 2));
            Assert.Equal("S3", TestMessages.Field(await client.ReadFrameAsync(), "MSA", 2));
            Assert.Equal(3, (await h.Inbox.PendingAsync(0, 10)).Length);
        }
    }

    [Fact]
    public async Task An_oversize_frame_is_rejected_and_kept_truncated_and_the_connection_goes_on()
    {
        var (h, store) = await StartAsync(o => o.MaxFrameBytes = 2048);
        await using (store)
        await using (h)
        {
            await using var client = await h.ConnectAsync();
            var big = TestMessages.Adt("BIG", "P1") + "NTE|1||" + new string('x', 10_000) + "\r";
            var ack = await client.SendAsync(TestMessages.Bytes(big));
            Assert.Equal("AR", TestMessages.AckCode(ack));
            Assert.Equal("BIG", TestMessages.Field(ack, "MSA", 2));
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Adt("SMALL", "P1")))));
            var error = Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery()));
            Assert.Contains("exceeds the limit of 2048", error.Reason, StringComparison.Ordinal);
            Assert.Equal(2048, error.Raw.Length);
        }
    }

    [Fact]
    public async Task An_idle_connection_is_closed_by_the_server()
    {
        var (h, store) = await StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using (store)
        await using (h)
        {
            await using var client = await h.ConnectAsync();
            await client.WriteRawAsync(new byte[] { MllpFraming.StartBlock, (byte)'M' }); // a partial frame, then silence
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<Exception>(() => client.ReadFrameAsync(bound.Token));
            Assert.False(bound.IsCancellationRequested); // closed by the server, not by our bound
            Assert.Empty(await h.Inbox.PendingAsync(0, 10));
        }
    }

    [Fact]
    public async Task Many_concurrent_connections_are_all_stored_and_acknowledged()
    {
        var (h, store) = await StartAsync();
        await using (store)
        await using (h)
        {
            await Task.WhenAll(Enumerable.Range(0, 24).Select(async c =>
            {
                await using var client = await h.ConnectAsync();
                for (var i = 0; i < 10; i++)
                {
                    Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru($"M{c}-{i}", $"P{c}")))));
                }
            }));
            Assert.Equal(240, (await h.Inbox.CountsAsync())[InboxStatus.Received]);
            Assert.Equal(240, await h.AuditCountAsync());
        }
    }
}

public sealed class SqliteEngineTcpTests : EngineTcpTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresEngineTcpTests : EngineTcpTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
