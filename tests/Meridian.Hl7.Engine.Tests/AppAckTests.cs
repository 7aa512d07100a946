using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Enhanced-mode application acknowledgments (MSH-16) sent back to the sender's receiving side
/// (a real MLLP listener on 127.0.0.1) after processing: AA for processed, AE with ERR for failed,
/// per the MSH-16 condition, durably retried until the receiver accepts them.
/// </summary>
public abstract class AppAckTests
{
    protected abstract EngineStore NewStore();

    private static Action<Hl7EngineOptions> Configure(string? address) => o =>
    {
        o.AppAckInterval = TimeSpan.FromMilliseconds(100);
        o.Senders["ADTAPP|HOSP"] = new Hl7SenderOptions { ClientId = "adt-feed", AppAckAddress = address };
    };

    private static async Task<AppAckState> SettledAsync(EngineHarness h, long id)
    {
        AppAckState? state = null;
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
        {
            state = await h.Inbox.AppAckStateAsync(id);
            return state?.Status is AppAckStatus.Sent or AppAckStatus.Skipped or AppAckStatus.Unroutable;
        }), $"application acknowledgment of {id} still {state?.Status} ({state?.Error})");
        return state!;
    }

    private static async Task<long> IdOfAsync(EngineHarness h, string controlId)
    {
        for (long id = 1; id < 100; id++)
        {
            if ((await h.Inbox.GetAsync(id))?.ControlId == controlId)
            {
                return id;
            }
        }
        throw new InvalidOperationException(controlId + " not stored");
    }

    [Fact]
    public async Task Processed_and_failed_messages_get_AA_and_AE_with_ERR_at_the_senders_receiver()
    {
        await using var receiver = new AckReceiver();
        await using var store = NewStore();
        var processor = new RecordingProcessor();
        processor.FailControlIds["AL2"] = "OBX-5 is not a number";
        await using var h = await EngineHarness.StartAsync(store, Configure(receiver.Address), processor);
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("AL1", "P1", acceptAck: "AL", appAck: "AL"))));
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("AL2", "P2", acceptAck: "AL", appAck: "AL"))));
        Assert.Equal(1, (await SettledAsync(h, await IdOfAsync(h, "AL1"))).Attempts);
        Assert.Equal(AppAckStatus.Sent, (await SettledAsync(h, await IdOfAsync(h, "AL2"))).Status);

        var frames = receiver.Frames.ToList();
        Assert.Equal(2, frames.Count);
        var ok = Assert.Single(frames, f => TestMessages.Field(f, "MSA", 2) == "AL1");
        Assert.Equal("AA", TestMessages.AckCode(ok));
        Assert.Equal("ADTAPP", TestMessages.Field(ok, "MSH", 5)); // addressed to the sender
        var failed = Assert.Single(frames, f => TestMessages.Field(f, "MSA", 2) == "AL2");
        Assert.Equal("AE", TestMessages.AckCode(failed));
        Assert.Contains("OBX-5 is not a number", TestMessages.Field(failed, "ERR", 8) + TestMessages.Field(failed, "MSA", 3), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ER_SU_and_NE_follow_the_outcome_and_a_missing_return_address_is_recorded_not_sent()
    {
        await using var receiver = new AckReceiver();
        await using var store = NewStore();
        var processor = new RecordingProcessor();
        processor.FailControlIds["SU2"] = "mapping failed";
        await using var h = await EngineHarness.StartAsync(store, o =>
        {
            Configure(receiver.Address)(o);
            o.Senders["OTHER|HOSP"] = new Hl7SenderOptions { ClientId = "other-feed" };
        }, processor);
        await h.SendAsync(TestMessages.Adt("ER1", "P1", acceptAck: "AL", appAck: "ER"));  // succeeds: nothing to send
        await h.SendAsync(TestMessages.Adt("SU1", "P2", acceptAck: "AL", appAck: "SU"));  // succeeds: AA
        await h.SendAsync(TestMessages.Adt("SU2", "P3", acceptAck: "AL", appAck: "SU"));  // fails: nothing to send
        await h.SendAsync(TestMessages.Adt("NE1", "P4", acceptAck: "AL", appAck: "NE"));  // never
        await h.SendAsync(TestMessages.Adt("NA1", "P5", app: "OTHER", acceptAck: "AL", appAck: "AL")); // no address
        Assert.Equal(AppAckStatus.Skipped, (await SettledAsync(h, await IdOfAsync(h, "ER1"))).Status);
        Assert.Equal(AppAckStatus.Sent, (await SettledAsync(h, await IdOfAsync(h, "SU1"))).Status);
        Assert.Equal(AppAckStatus.Skipped, (await SettledAsync(h, await IdOfAsync(h, "SU2"))).Status);
        Assert.Equal(AppAckStatus.Unroutable, (await SettledAsync(h, await IdOfAsync(h, "NA1"))).Status);
        var ne = await IdOfAsync(h, "NE1");
        Assert.True(await EngineHarness.EventuallyAsync(async () => (await h.Inbox.GetAsync(ne))!.Status == InboxStatus.Processed));
        Assert.Null((await h.Inbox.AppAckStateAsync(ne))!.Status);
        var frame = Assert.Single(receiver.Frames);
        Assert.Equal(("AA", "SU1"), (TestMessages.AckCode(frame), TestMessages.Field(frame, "MSA", 2)));
    }

    [Fact]
    public async Task A_refused_or_unreachable_receiver_is_retried_until_it_accepts_without_holding_up_receipt()
    {
        // First the receiver is not there at all, then it refuses once (CE), then accepts.
        var port = FreePort();
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store, Configure("127.0.0.1:" + port), new RecordingProcessor());
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("R1", "P1", acceptAck: "AL", appAck: "AL"))));
        var id = await IdOfAsync(h, "R1");
        AppAckState? state = null;
        Assert.True(await EngineHarness.EventuallyAsync(async () => (state = await h.Inbox.AppAckStateAsync(id))!.Attempts >= 1 && state.Error is not null));
        Assert.Equal(AppAckStatus.Pending, state!.Status);
        // Receipt is not blocked by the pending acknowledgment.
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("R2", "P2", acceptAck: "AL", appAck: "NE"))));

        await using var receiver = new AckReceiver(refuseFirst: 1, port: port);
        var sent = await SettledAsync(h, id);
        Assert.Equal(AppAckStatus.Sent, sent.Status);
        Assert.True(sent.Attempts >= 3, $"attempts {sent.Attempts}");
        Assert.Equal("R1", TestMessages.Field(Assert.Single(receiver.Frames), "MSA", 2));
    }

    [Fact]
    public async Task Application_ACKs_go_over_TLS_to_a_receiver_whose_certificate_the_senders_CA_issued_and_not_to_an_untrusted_one()
    {
        using var trustedCa = TestCertificates.CreateCa("Meridian test hospital CA");
        using var otherCa = TestCertificates.CreateCa("Some other CA");
        using var good = TestCertificates.IssueServer(trustedCa, "acks.hospital.test");
        using var impostor = TestCertificates.IssueServer(otherCa, "acks.hospital.test");
        var caFile = TestCertificates.WritePem(trustedCa);
        await using var receiver = new AckReceiver(certificate: good);
        await using var untrusted = new AckReceiver(certificate: impostor);
        await using var store = NewStore();
        await using var h = await EngineHarness.StartAsync(store, o =>
        {
            o.AppAckInterval = TimeSpan.FromMilliseconds(100);
            // The receivers listen on 127.0.0.1; the name checked is the one their certificate must carry.
            o.Senders["ADTAPP|HOSP"] = new Hl7SenderOptions
            {
                ClientId = "adt-feed", AppAckAddress = receiver.Address,
                AppAckTls = true, AppAckTlsServerName = "acks.hospital.test", AppAckTlsCaCertificate = caFile,
            };
            o.Senders["OTHER|HOSP"] = new Hl7SenderOptions
            {
                ClientId = "other-feed", AppAckAddress = untrusted.Address,
                AppAckTls = true, AppAckTlsServerName = "acks.hospital.test", AppAckTlsCaCertificate = caFile,
            };
        }, new RecordingProcessor());
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("TLS1", "P1", acceptAck: "AL", appAck: "AL"))));
        Assert.Equal("CA", TestMessages.AckCode(await h.SendAsync(TestMessages.Adt("TLS2", "P2", app: "OTHER", acceptAck: "AL", appAck: "AL"))));

        var sent = await SettledAsync(h, await IdOfAsync(h, "TLS1"));
        Assert.Equal(AppAckStatus.Sent, sent.Status);
        var frame = Assert.Single(receiver.Frames);
        Assert.Equal(("AA", "TLS1"), (TestMessages.AckCode(frame), TestMessages.Field(frame, "MSA", 2)));

        // The impostor's certificate does not chain to the sender's CA: the handshake fails, the
        // acknowledgment stays pending with the reason and nothing reaches that listener.
        var refused = await IdOfAsync(h, "TLS2");
        AppAckState? state = null;
        Assert.True(await EngineHarness.EventuallyAsync(async () => (state = await h.Inbox.AppAckStateAsync(refused))!.Attempts >= 1 && state.Error is not null));
        Assert.Equal(AppAckStatus.Pending, state!.Status);
        Assert.Contains("certificate", state.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(untrusted.Frames);
        Assert.True(untrusted.Connections >= 1); // reached, and refused for its certificate
    }

    [Fact]
    public void TLS_settings_for_application_ACKs_are_checked_at_start()
    {
        var options = new Hl7EngineOptions();
        options.Senders["A"] = new Hl7SenderOptions { ClientId = "a", AppAckAddress = "127.0.0.1:1", AppAckTlsServerName = "x" };
        options.Senders["B"] = new Hl7SenderOptions { ClientId = "b", AppAckAddress = "127.0.0.1:1", AppAckTls = true, AppAckTlsCaCertificate = "/nonexistent/ca.pem" };
        var problems = options.Problems().ToList();
        Assert.Contains(problems, p => p.Contains("Hl7:Senders:A:", StringComparison.Ordinal) && p.Contains("AppAckTls = true", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Hl7:Senders:B:AppAckTlsCaCertificate", StringComparison.Ordinal));
    }

    private static int FreePort()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

public sealed class SqliteAppAckTests : AppAckTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresAppAckTests : AppAckTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
