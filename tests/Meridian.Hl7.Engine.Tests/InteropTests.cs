using System.Diagnostics;
using System.Text;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Clients nobody here wrote, and our own command line, against the listener: Debian's
/// <c>mllp_send</c> (package python3-hl7, installed by test.sh) and <c>meridian hl7 send</c>.
/// </summary>
public sealed class InteropTests
{
    private static string MessageFile(int count, string prefix)
    {
        // One message after another, segments on their own lines (LF): how such files are kept.
        var text = string.Concat(Enumerable.Range(0, count).Select(i =>
            (i % 2 == 0 ? TestMessages.Adt($"{prefix}{i}", $"P{i % 4}") : TestMessages.Oru($"{prefix}{i}", $"P{i % 4}", 3)).Replace("\r", "\n", StringComparison.Ordinal)));
        var path = Path.Combine(Path.GetTempPath(), $"meridian-hl7-{Guid.NewGuid():N}.hl7");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Debian_mllp_send_delivers_a_file_of_messages_and_every_one_is_stored()
    {
        await using var store = new SqliteEngineStore();
        await using var h = await EngineHarness.StartAsync(store);
        var file = MessageFile(25, "MS");
        try
        {
            var info = new ProcessStartInfo("/usr/bin/mllp_send") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["--loose", "-p", h.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", file, "127.0.0.1"])
            {
                info.ArgumentList.Add(a);
            }
            Process process;
            try
            {
                process = Process.Start(info)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("mllp_send is missing: apt-get install python3-hl7 (test.sh installs it)", ex);
            }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await process.WaitForExitAsync(bound.Token);
                Assert.True(process.ExitCode == 0, await stderr);
                var acks = (await stdout).Split("MSA|", StringSplitOptions.None).Skip(1).Select(s => s.Split('|')[0]).ToList();
                Assert.Equal(Enumerable.Repeat("AA", 25), acks);
            }
            var pending = await h.Inbox.PendingAsync(0, 100);
            Assert.Equal(Enumerable.Range(0, 25).Select(i => $"MS{i}"), pending.Select(p => p.ControlId));
            Assert.Equal(Enumerable.Range(0, 25).Select(i => i % 2 == 0 ? "ADT^A01" : "ORU^R01"), pending.Select(p => p.MessageType));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Meridian_hl7_send_reports_each_acknowledgment_and_fails_when_one_is_refused()
    {
        await using var store = new SqliteEngineStore();
        await using var h = await EngineHarness.StartAsync(store);
        var good = MessageFile(4, "CL");
        var bad = Path.Combine(Path.GetTempPath(), $"meridian-hl7-{Guid.NewGuid():N}.hl7");
        await File.WriteAllTextAsync(bad, TestMessages.Adt("", "P1")); // no MSH-10
        try
        {
            var (code, output) = await RunCliAsync("hl7", "send", good, "--to", $"127.0.0.1:{h.Port}");
            Assert.Equal(0, code);
            Assert.Contains("AA CL3", output, StringComparison.Ordinal);
            Assert.Contains("4 of 4 messages accepted", output, StringComparison.Ordinal);

            (code, output) = await RunCliAsync("hl7", "send", good, bad, "--to", $"127.0.0.1:{h.Port}");
            Assert.Equal(1, code);
            Assert.Contains("AE", output, StringComparison.Ordinal);
            Assert.Contains("MSH-10", output, StringComparison.Ordinal);
            Assert.Contains("4 of 5 messages accepted", output, StringComparison.Ordinal); // the resent four: duplicates, acknowledged
            Assert.Equal(4, (await h.Inbox.PendingAsync(0, 100)).Length);
            Assert.Single(await h.Inbox.ListErrorsAsync(new ErrorQuery()));

            (code, _) = await RunCliAsync("hl7", "send", good, "--to", "nowhere");
            Assert.Equal(2, code);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    [Fact]
    public async Task Meridian_hl7_send_splits_batch_files_with_CRLF_and_framing_into_messages()
    {
        await using var store = new SqliteEngineStore();
        await using var h = await EngineHarness.StartAsync(store);
        var file = Path.Combine(Path.GetTempPath(), $"meridian-hl7-{Guid.NewGuid():N}.hl7");
        var text = "FHS|^~\\&|LAB|HOSP\r\nBHS|^~\\&|LAB|HOSP\r\n"
            + TestMessages.Adt("B1", "P1").Replace("\r", "\r\n", StringComparison.Ordinal)
            + "\u000b" + TestMessages.Oru("B2", "P2", 2) + "\u001c\r\n"
            + "BTS|2\r\nFTS|1\r\n";
        await File.WriteAllTextAsync(file, text);
        try
        {
            var (code, output) = await RunCliAsync("hl7", "send", file, "--to", $"127.0.0.1:{h.Port}");
            Assert.Equal(0, code);
            Assert.Contains("2 of 2 messages accepted", output, StringComparison.Ordinal);
            var pending = await h.Inbox.PendingAsync(0, 10);
            Assert.Equal(["B1", "B2"], pending.Select(p => p.ControlId));
            Assert.Equal(TestMessages.Adt("B1", "P1"), Encoding.UTF8.GetString(pending[0].Raw)); // segments re-joined with CR
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Meridian_hl7_errors_lists_and_replay_requeues_from_the_database()
    {
        var sqlite = new SqliteEngineStore();
        await using var store = sqlite;
        var processor = new RecordingProcessor();
        processor.FailControlIds["X1"] = "mapping set 'lab' has no ORU^R01";
        long errorId;
        await using (var h = await EngineHarness.StartAsync(store, processor: processor))
        {
            Assert.Equal("AA", TestMessages.AckCode(await h.SendAsync(TestMessages.Oru("X1", "P1"))));
            Assert.True(await EngineHarness.EventuallyAsync(async () => (await h.Inbox.ListErrorsAsync(new ErrorQuery())).Length == 1));
            errorId = (await h.Inbox.ListErrorsAsync(new ErrorQuery())).Single().Id;
        }
        var (code, output) = await RunCliAsync("hl7", "errors", "--data", sqlite.Directory);
        Assert.Equal(0, code);
        Assert.Contains("mapping set 'lab' has no ORU^R01", output, StringComparison.Ordinal);
        Assert.Contains("failed 1", output, StringComparison.Ordinal);
        (code, output) = await RunCliAsync("hl7", "errors", "--data", sqlite.Directory, "--show", errorId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("OBX|10|NM|", output, StringComparison.Ordinal);
        (code, output) = await RunCliAsync("hl7", "replay", errorId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", sqlite.Directory);
        Assert.Equal(0, code);
        Assert.Contains("queued for processing again", output, StringComparison.Ordinal);
        (code, output) = await RunCliAsync("hl7", "errors", "--data", sqlite.Directory);
        Assert.Contains("0 errors listed", output, StringComparison.Ordinal);
        Assert.Contains("received 1", output, StringComparison.Ordinal); // back in the inbox for the next processor run
    }

    private static async Task<(int Code, string Output)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Meridian.Cli.MeridianCli.RunAsync(args, output, error);
        return (code, output + error.ToString());
    }
}
