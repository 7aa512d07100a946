using System.Collections.Concurrent;
using System.Text.Json;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Two real <c>meridian serve</c> processes on one PostgreSQL database, both receiving over MLLP and
/// mapping (each under its own <c>Hl7:NodeId</c>); one is killed with SIGKILL mid-stream and its
/// senders carry on at the other, resending what was not acknowledged. Every acknowledged message
/// is mapped, each patient's updates land once each and in the order they were sent.
/// </summary>
public sealed class TwoServerProcessTests
{
    private const int Keys = 6;
    private const int PerKey = 10;

    [Fact]
    public async Task Two_serve_processes_map_every_acknowledged_message_once_in_key_order_when_one_is_killed_mid_stream()
    {
        await using var store = new PostgresEngineStore();
        await ((IAsyncDisposable)await store.OpenAsync()).DisposeAsync(); // create and migrate the database first
        string[] args = ["--store", "postgres", "--connection", store.ConnectionString];
        var lease = TimeSpan.FromSeconds(3);
        using var a = await ChildServer.StartProcessingAsync(args, "node-a", lease);
        using var b = await ChildServer.StartProcessingAsync(args, "node-b", lease);

        var acknowledged = new ConcurrentDictionary<string, int>();
        var switched = 0;
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Sender k owns patient KEY{k} and sends its updates in order: even keys to A, odd keys to B.
        var senders = Enumerable.Range(0, Keys).Select(k => Task.Run(async () =>
        {
            var port = k % 2 == 0 ? a.MllpPort : b.MllpPort;
            MllpClient? client = null;
            try
            {
                for (var i = 0; i < PerKey; i++)
                {
                    var controlId = $"M{k}-{i:D2}";
                    var message = TestMessages.Bytes(TestMessages.AdtUpdate(controlId, $"KEY{k}", $"Seq{i:D2}"));
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            client ??= await MllpClient.ConnectAsync("127.0.0.1", port);
                            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(message, wait.Token)));
                            acknowledged[controlId] = k;
                            break;
                        }
                        catch (Exception ex) when (attempt < 3 && ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException or OperationCanceledException)
                        {
                            // A died under us: the same message again at B (a duplicate there if A had stored it).
                            if (client is not null)
                            {
                                await client.DisposeAsync();
                                client = null;
                            }
                            port = b.MllpPort;
                            Interlocked.Increment(ref switched);
                        }
                    }
                    if (acknowledged.Count >= Keys * PerKey / 2)
                    {
                        halfway.TrySetResult();
                    }
                }
            }
            finally
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }
        })).ToList();
        await Task.WhenAny(halfway.Task, Task.WhenAll(senders), Task.Delay(TimeSpan.FromMinutes(3)));
        Assert.True(halfway.Task.IsCompleted, $"only {acknowledged.Count} acknowledged before the kill");
        a.KillHard(); // senders mid-stream, A mid-mapping
        await Task.WhenAll(senders);
        Assert.Equal(Keys * PerKey, acknowledged.Count);
        Assert.True(switched > 0, "no sender of the killed server had to move to the other one");

        var opened = await store.OpenAsync();
        await using (opened as IAsyncDisposable)
        {
            // B maps everything, A's unfinished keys after A's lease runs out.
            var inbox = RelationalHl7Inbox.For(opened);
            IReadOnlyDictionary<string, long> counts = new Dictionary<string, long>();
            Assert.True(await EngineHarness.EventuallyAsync(async () =>
            {
                counts = await inbox.CountsAsync();
                return counts.GetValueOrDefault(InboxStatus.Processed) >= Keys * PerKey;
            }, seconds: 180), "not all mapped: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
            Assert.Equal(Keys * PerKey, counts.GetValueOrDefault(InboxStatus.Processed)); // once each in the inbox (duplicates not stored)
            Assert.Equal(0, counts.GetValueOrDefault(InboxStatus.Failed));
            Assert.Equal(0, counts.GetValueOrDefault(InboxStatus.Received));

            // Each patient: one version per update, in the order sent (a message mapped twice out of
            // order would add a version; one mapped twice in place changes nothing).
            var patients = await opened.SearchAsync("default", new SearchQuery("Patient") { Count = 100 });
            Assert.Equal(Keys, patients.Matches.Length);
            var seen = new HashSet<string>();
            foreach (var patient in patients.Matches)
            {
                var history = await opened.HistoryAsync("default", new HistoryQuery("Patient", patient.Id) { Count = 100 });
                var families = history.Entries.Reverse().Select(v => Family(v.Json)).ToList();
                var key = Identifier(patient.Json);
                Assert.True(seen.Add(key), $"two patients for {key}");
                Assert.Equal(Enumerable.Range(0, PerKey).Select(i => $"Seq{i:D2}"), families);
            }
        }
    }

    private static string Family(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("name")[0].GetProperty("family").GetString() ?? "";
    }

    private static string Identifier(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("identifier")[0].GetProperty("value").GetString() ?? "";
    }
}
