using System.CommandLine;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meridian.Hl7.Engine.Mllp;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian hl7 send FILE... --to host:port</c>: an MLLP client that splits the files into
/// messages, sends them one by one and prints each acknowledgment. <c>meridian hl7 errors</c> and
/// <c>meridian hl7 replay ID</c> work on the error store (Hl7StoreCommands.cs). Exit codes: 0 every
/// message accepted (AA/CA), 1 some refused or unanswered, 2 bad usage or no connection.
/// </summary>
internal static class Hl7Command
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("hl7", "HL7 v2: send messages over MLLP, inspect and replay the error store.");
        command.Subcommands.Add(Send(output, error));
        command.Subcommands.Add(Hl7StoreCommands.Errors(output, error));
        command.Subcommands.Add(Hl7StoreCommands.Replay(output, error));
        return command;
    }

    private static Command Send(TextWriter output, TextWriter error)
    {
        var files = new Argument<string[]>("FILE") { Description = "Files of HL7 v2 messages (CR, LF or CRLF segment ends; batches and MLLP framing tolerated)", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "host:port of the MLLP listener", Required = true };
        var tls = new Option<bool>("--tls") { Description = "Connect with TLS" };
        var trust = new Option<string?>("--tls-trust") { Description = "With --tls: a PEM certificate (the server's own or its CA) to trust besides the system's roots" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for each acknowledgment (default 30)", DefaultValueFactory = _ => 30 };
        var send = new Command("send", "Send the messages of FILE... over MLLP and print each acknowledgment.") { files, to, tls, trust, timeout };
        send.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(to)!;
            var colon = target.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                await error.WriteLineAsync("meridian hl7 send: --to must be host:port").ConfigureAwait(false);
                return 2;
            }
            var messages = new List<(string File, int Index, byte[] Payload)>();
            foreach (var file in parse.GetValue(files)!)
            {
                if (!File.Exists(file))
                {
                    await error.WriteLineAsync($"meridian hl7 send: no file {file}").ConfigureAwait(false);
                    return 2;
                }
                var split = Hl7MessageFiles.Split(await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false));
                messages.AddRange(split.Select((m, i) => (file, i + 1, m)));
            }
            if (messages.Count == 0)
            {
                await error.WriteLineAsync("meridian hl7 send: no HL7 v2 message (no MSH segment) in the files").ConfigureAwait(false);
                return 2;
            }
            MllpClient client;
            try
            {
                client = await MllpClient.ConnectAsync(target[..colon].Trim('[', ']'), port, parse.GetValue(tls),
                    parse.GetValue(trust) is { } pem ? TrustOnly(X509Certificate2.CreateFromPemFile(pem)) : null, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or System.Security.Authentication.AuthenticationException)
            {
                await error.WriteLineAsync($"meridian hl7 send: cannot connect to {target}: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var accepted = 0;
            await using (client.ConfigureAwait(false))
            {
                foreach (var (file, index, payload) in messages)
                {
                    var controlId = Field(payload, "MSH-10");
                    string line;
                    try
                    {
                        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        wait.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))));
                        var ack = await client.SendAsync(payload, wait.Token).ConfigureAwait(false);
                        var code = Field(ack, "MSA-1");
                        var text = Field(ack, "MSA-3");
                        var err = Field(ack, "ERR-8");
                        if (code is "AA" or "CA")
                        {
                            accepted++;
                        }
                        line = $"{code} {controlId}" + (text.Length > 0 ? " " + text : err.Length > 0 ? " " + err : "");
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException)
                    {
                        await output.WriteLineAsync($"{Path.GetFileName(file)}#{index} NO-ACK {controlId}: {ex.Message}").ConfigureAwait(false);
                        await output.WriteLineAsync($"{accepted} of {messages.Count} messages accepted").ConfigureAwait(false);
                        return 1;
                    }
                    await output.WriteLineAsync($"{Path.GetFileName(file)}#{index} {line}").ConfigureAwait(false);
                }
            }
            await output.WriteLineAsync($"{accepted} of {messages.Count} messages accepted").ConfigureAwait(false);
            return accepted == messages.Count ? 0 : 1;
        });
        return send;
    }

    /// <summary>Validation that also accepts chains ending in <paramref name="anchor"/> (a private CA or a self-signed server).</summary>
    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 anchor) => (_, certificate, _, errors) =>
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(anchor);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    };

    /// <summary>The value at <paramref name="path"/> (e.g. <c>MSA-1</c>), read by the HL7 v2 parser; empty when unreadable.</summary>
    internal static string Field(byte[] message, string path)
    {
        var parsed = Hl7.Hl7Parser.Parse(message).Message;
        return parsed is not null && Hl7.Hl7Path.TryParse(path, out var p) && parsed.Segment(p.SegmentId, p.Occurrence - 1) is not null
            ? parsed.Get(path)
            : "";
    }
}
