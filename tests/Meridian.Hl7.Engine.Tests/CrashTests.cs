using System.Collections.Concurrent;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// A real <c>meridian serve --mllp-port</c> process killed with SIGKILL while senders are busy,
/// right after acknowledgments: every acknowledged message is in the inbox afterwards, and a
/// restarted server still knows them (a resend is a duplicate).
/// </summary>
public abstract class CrashTests
{
    protected abstract EngineStore NewStore();

    protected abstract string[] StoreArguments(EngineStore store);

    [Fact]
    public async Task Every_message_acknowledged_before_a_kill_9_is_in_the_inbox_after_restart()
    {
        await using var store = NewStore();
        await ((IAsyncDisposable)await store.OpenAsync()).DisposeAsync(); // create (and migrate) the database first
        var acknowledged = new ConcurrentBag<string>();
        using (var child = await ChildServer.StartAsync(StoreArguments(store)))
        {
            using var enough = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                try
                {
                    await using var client = await MllpClient.ConnectAsync("127.0.0.1", child.MllpPort);
                    for (var i = 0; i < 10_000 && !enough.IsCancellationRequested; i++)
                    {
                        var id = $"K{c}-{i}";
                        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                        var ack = await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(id, $"P{c}-{i % 5}")), wait.Token);
                        Assert.Equal("AA", TestMessages.AckCode(ack));
                        acknowledged.Add(id);
                        if (acknowledged.Count >= 300)
                        {
                            await enough.CancelAsync();
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    // The server died under us: whatever was not acknowledged may be lost.
                }
            })).ToList();
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await Task.WhenAny(Task.Delay(Timeout.Infinite, enough.Token).ContinueWith(_ => { }, TaskScheduler.Default), Task.Delay(TimeSpan.FromMinutes(3)));
            Assert.True(enough.IsCancellationRequested, $"only {acknowledged.Count} messages were acknowledged");
            child.KillHard(); // while the other senders are still mid-message
            await Task.WhenAll(senders);
        }
        var snapshot = acknowledged.ToHashSet();
        Assert.True(snapshot.Count >= 300);

        // Restart: the server comes back on the same store and recognises an acknowledged message.
        using (var child = await ChildServer.StartAsync(StoreArguments(store)))
        {
            await using var client = await MllpClient.ConnectAsync("127.0.0.1", child.MllpPort);
            var resent = snapshot.First();
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(resent, "P0-0")))));
            child.KillHard();
        }

        var opened = await store.OpenAsync();
        await using (opened as IAsyncDisposable)
        {
            var inbox = RelationalHl7Inbox.For(opened);
            var stored = new HashSet<string>();
            long after = 0;
            for (var page = 0; page < 1000; page++)
            {
                var rows = await inbox.PendingAsync(after, 500);
                stored.UnionWith(rows.Select(r => r.ControlId));
                if (rows.Length < 500)
                {
                    break;
                }
                after = rows[^1].Id;
            }
            var missing = snapshot.Where(id => !stored.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged messages are missing, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.True(stored.Count >= snapshot.Count); // messages stored but not yet acknowledged may be there too
        }
    }
}

public sealed class SqliteCrashTests : CrashTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();

    protected override string[] StoreArguments(EngineStore store) => ["--data", ((SqliteEngineStore)store).Directory];
}

public sealed class PostgresCrashTests : CrashTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();

    protected override string[] StoreArguments(EngineStore store) => ["--store", "postgres", "--connection", ((PostgresEngineStore)store).ConnectionString];
}
