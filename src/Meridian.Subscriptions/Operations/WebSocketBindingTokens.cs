using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Api.Authorization;
using Meridian.Storage.Records;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Operations;

/// <summary>
/// Backport IG <c>$get-ws-binding-token</c> (<c>Subscription/[id]/$get-ws-binding-token</c>, or
/// <c>Subscription/$get-ws-binding-token?id=a&amp;id=b</c>): a short-lived token for websocket
/// clients that cannot send an Authorization header (browsers). It is bound to the listed
/// websocket subscriptions, their tenant, and the rights of the caller who asked for it; the
/// socket's <c>bind-with-id: {token}</c> binds them all, after reading each Subscription again
/// as that caller. Tokens are platform records (kind <c>ws-binding-token</c>, keyed by the
/// token's SHA-256, with the expiry in the database), so any node behind a load balancer can
/// redeem one another node issued, and a database dump holds no usable token.
/// </summary>
public sealed class WebSocketBindingTokens(ISystemRecordStore records, SubscriptionRegistry registry, TimeProvider clock, TimeSpan? lifetime = null)
{
    public const string Operation = "get-ws-binding-token";
    public const string RecordKind = "ws-binding-token";

    /// <summary>Every token starts with this, so <c>bind-with-id</c> tells tokens from ids: a FHIR
    /// id is <c>[A-Za-z0-9\-\.]</c> only, never an underscore.</summary>
    public const string Prefix = "wsbt_";

    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private readonly TimeSpan _lifetime = lifetime ?? DefaultLifetime;
    private long _lastPurgeTicks;

    /// <summary>What a redeemed token grants: the subscriptions and the rights they are read with.</summary>
    public sealed record Grant(IReadOnlyList<string> Subscriptions, Caller Caller);

    private sealed record Stored(string[] Subscriptions, byte[] Caller);

    public static bool IsToken(string text) => text.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Answers the operation. <paramref name="next"/> is the API behind the interceptor:
    /// each Subscription is read through it as the caller, so only what the caller may read is granted.</summary>
    public async Task<FhirResponse> IssueAsync(FhirRequest request, string? id, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(next);
        if (request.Method is not ("GET" or "POST"))
            return FhirResponse.Error(405, "not-supported", $"${Operation} is GET or POST.");
        var ids = id is not null ? [id] : IdsFrom(request);
        if (ids.Count == 0)
            return FhirResponse.Error(400, "required", $"${Operation} at the type level needs one or more 'id' parameters (Subscription/$get-ws-binding-token?id=...).");
        foreach (var sub in ids)
        {
            var read = await next(new FhirRequest("GET", "Subscription/" + sub) { Tenant = request.Tenant, Caller = request.Caller, BaseUrl = request.BaseUrl }, ct).ConfigureAwait(false);
            if (!read.IsSuccess) return read;
            if (registry.Find(request.Tenant, sub) is not { Definition.Channel: ChannelKind.WebSocket })
                return FhirResponse.Error(400, "invalid", $"Subscription/{sub} is not a served websocket subscription.");
        }
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var expires = clock.GetUtcNow() + _lifetime;
        var value = JsonSerializer.SerializeToUtf8Bytes(new Stored([.. ids], OwnerCodec.Encode(request.Caller)));
        var put = await records.PutRecordAsync(request.Tenant, RecordKind, KeyOf(token), value, SystemRecord.Absent, expires, ct).ConfigureAwait(false);
        if (put is null) return FhirResponse.Error(500, "exception", "a binding token collided; ask again");
        await PurgeNowAndThenAsync(ct).ConfigureAwait(false);
        return new FhirResponse(200, Parameters(token, expires, ids, WebSocketUrl(request)))
        {
            Authorization = new AuthorizationDecision(request.Caller.IsInsecureDev ? AuthorizationOutcome.InsecureDev : AuthorizationOutcome.Permitted),
        };
    }

    /// <summary>The grant of an unexpired token of <paramref name="tenant"/>, or null.</summary>
    public async Task<Grant?> RedeemAsync(string tenant, string token, CancellationToken ct)
    {
        if (!IsToken(token)) return null;
        var record = await records.GetRecordAsync(tenant, RecordKind, KeyOf(token), ct).ConfigureAwait(false);
        if (record is null || record.ExpiresAt is { } at && at <= clock.GetUtcNow()) return null;
        var stored = JsonSerializer.Deserialize<Stored>(record.Value);
        return stored is null ? null : new Grant(stored.Subscriptions, OwnerCodec.Decode(stored.Caller));
    }

    private static List<string> IdsFrom(FhirRequest request)
    {
        var ids = new List<string>();
        foreach (var (name, value) in request.Query)
        {
            if (name == "id") ids.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        if (request.Method == "POST" && request.Body.Length > 0)
        {
            // Parameters { parameter: [{ name: "id", valueId | valueString }] }
            try
            {
                using var doc = JsonDocument.Parse(request.Body);
                if (doc.RootElement.TryGetProperty("parameter", out var parameters) && parameters.ValueKind == JsonValueKind.Array)
                {
                    foreach (var p in parameters.EnumerateArray())
                    {
                        if (p.TryGetProperty("name", out var n) && n.GetString() == "id"
                            && (p.TryGetProperty("valueId", out var v) || p.TryGetProperty("valueString", out v)) && v.GetString() is { Length: > 0 } s)
                            ids.Add(s);
                    }
                }
            }
            catch (JsonException)
            {
                // Not a Parameters body: the query is all there is.
            }
        }
        return [.. ids.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The server's websocket endpoint beside the FHIR base: <c>.../fhir</c> → <c>.../ws/subscriptions</c>.</summary>
    private static string WebSocketUrl(FhirRequest request)
    {
        var baseUrl = (request.BaseUrl ?? "http://localhost/fhir").TrimEnd('/');
        if (baseUrl.EndsWith("/fhir", StringComparison.Ordinal)) baseUrl = baseUrl[..^"/fhir".Length];
        var ws = baseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + baseUrl["https://".Length..]
            : baseUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + baseUrl["http://".Length..] : baseUrl;
        return ws + "/ws/subscriptions";
    }

    private static byte[] Parameters(string token, DateTimeOffset expires, IEnumerable<string> ids, string url)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Parameters");
            w.WriteStartArray("parameter");
            Part(w, "token", "valueString", token);
            Part(w, "expiration", "valueDateTime", expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            foreach (var id in ids) Part(w, "subscription", "valueString", id);
            Part(w, "websocket-url", "valueUrl", url);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Part(Utf8JsonWriter w, string name, string type, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString(type, value);
        w.WriteEndObject();
    }

    private async Task PurgeNowAndThenAsync(CancellationToken ct)
    {
        // Expired tokens are invisible already; deleting them once a minute keeps the table small.
        var now = clock.GetUtcNow();
        var last = Interlocked.Read(ref _lastPurgeTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerMinute || Interlocked.CompareExchange(ref _lastPurgeTicks, now.UtcTicks, last) != last) return;
        await records.PurgeExpiredRecordsAsync(RecordKind, now, ct).ConfigureAwait(false);
    }

    private static string KeyOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
