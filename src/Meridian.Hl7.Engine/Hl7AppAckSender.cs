using System.Globalization;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Messages;
using Meridian.Hl7.Engine.Mllp;

namespace Meridian.Hl7.Engine;

/// <summary>
/// Enhanced-mode application acknowledgments (MSH-16): once processing has recorded its outcome
/// in the inbox, the engine tells the sender over MLLP — AA when the message was processed, AE
/// with an ERR segment and the reason when it failed (AR is answered at receipt, as CR, for
/// refusals: by now the message was accepted). AL sends either, ER only failures, SU only
/// successes. Delivery is durable: the state lives in the inbox row (migration 0014), attempts
/// are retried with exponential back-off (1 s doubling up to 5 min) across restarts until the
/// sender's receiver answers with a positive acknowledgment (CA/AA). Runs in its own loop: it
/// never delays receipt or processing. Per sender over plain TCP or TLS (<see cref="AppAckTls"/>);
/// a failed handshake (untrusted certificate, wrong name) is a failed attempt, retried like a refusal.
/// </summary>
public sealed class Hl7AppAckSender : IAsyncDisposable
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromMinutes(5);

    private readonly IHl7Inbox _inbox;
    private readonly IHl7MessageCodec _codec;
    private readonly Hl7EngineOptions _options;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly AppAckTls _tls = new();

    public Hl7AppAckSender(IHl7Inbox inbox, IHl7MessageCodec codec, Hl7EngineOptions options, TimeProvider? clock = null)
    {
        _inbox = inbox ?? throw new ArgumentNullException(nameof(inbox));
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _clock = clock ?? TimeProvider.System;
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    public static bool TryParseAddress(string address, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = address?.LastIndexOf(':') ?? -1;
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = address![..colon].Trim('[', ']');
        return true;
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Bounded per round; a full page means more are due: look again at once.
                var due = await _inbox.AppAcksDueAsync(32, ct).ConfigureAwait(false);
                await Task.WhenAll(due.Select(work => DeliverAsync(work, ct))).ConfigureAwait(false);
                if (due.Length == 32)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the store being down is retried next round; the state is durable
            catch (Exception)
#pragma warning restore CA1031
            {
            }
            try
            {
                await Task.Delay(_options.AppAckInterval, _clock, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One due acknowledgment: decide, build, send, record.</summary>
    internal async Task DeliverAsync(AppAckWork work, CancellationToken ct)
    {
        var message = work.Message;
        var succeeded = message.Status == InboxStatus.Processed;
        var wanted = work.Mode switch
        {
            "ER" => !succeeded,
            "SU" => succeeded,
            _ => true,
        };
        if (!wanted)
        {
            await _inbox.RecordAppAckAsync(message.Id, new AppAckResult(AppAckStatus.Skipped, false), CancellationToken.None).ConfigureAwait(false);
            return;
        }
        var split = message.Sender.IndexOf('|', StringComparison.Ordinal);
        var sender = split < 0 ? _options.SenderFor(message.Sender, "") : _options.SenderFor(message.Sender[..split], message.Sender[(split + 1)..]);
        if (sender?.AppAckAddress is not { } address || !TryParseAddress(address, out var host, out var port))
        {
            await _inbox.RecordAppAckAsync(message.Id, new AppAckResult(AppAckStatus.Unroutable, false, "no AppAckAddress configured for sender " + message.Sender), CancellationToken.None).ConfigureAwait(false);
            return;
        }
        var reading = _codec.Read(message.Raw);
        var ack = succeeded
            ? new Hl7Ack(Hl7AckCode.AA)
            : new Hl7Ack(Hl7AckCode.AE, message.Reason ?? "processing failed", Hl7ErrorCodes.ApplicationInternalError);
        var bytes = _codec.Acknowledge(reading, ack);
        string? error;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.AppAckTimeout);
            await using var client = await MllpClient.ConnectAsync(host, port, _tls.For(sender, host), timeout.Token).ConfigureAwait(false);
            var answer = await client.SendAsync(bytes, timeout.Token).ConfigureAwait(false);
            var code = _codec.Read(answer) is { Parsed: not null } parsed ? _codec.Value(parsed, "MSA-1") : null;
            if (code is "CA" or "AA")
            {
                await _inbox.RecordAppAckAsync(message.Id, new AppAckResult(AppAckStatus.Sent, true), CancellationToken.None).ConfigureAwait(false);
                return;
            }
            error = $"the receiver at {address} answered {code ?? "something that is not an acknowledgment"}";
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or EndOfStreamException or System.Security.Authentication.AuthenticationException
                                       or OperationCanceledException && !ct.IsCancellationRequested)
        {
            error = $"{address}: {ex.Message}";
        }
        var backoff = TimeSpan.FromSeconds(Math.Min(s_maxBackoff.TotalSeconds, Math.Pow(2, Math.Min(work.Attempts, 20))));
        await _inbox.RecordAppAckAsync(message.Id, new AppAckResult(AppAckStatus.Pending, true, error, _clock.GetUtcNow() + backoff), CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _tls.Dispose();
    }
}
