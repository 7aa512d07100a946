using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Storage;
using RabbitMQ.Client;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// The wire form of one change: a compact JSON body holding the whole <see cref="ChangeRecord"/>
/// (the body alone is authoritative), the sequence as message id, and the trace id again as a
/// W3C <c>traceparent</c> header so that broker-side tooling can follow a request's events.
/// </summary>
internal static class ChangeMessage
{
    public const string ContentType = "application/json";
    public const string MessageType = "meridian.change";
    public const string TraceParentHeader = "traceparent";

    public static byte[] EncodeBody(ChangeRecord change)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", change.Sequence);
            json.WriteString("tenant", change.Tenant);
            json.WriteString("type", change.Type);
            json.WriteString("id", change.Id);
            json.WriteNumber("vid", change.VersionId);
            json.WriteString("kind", change.Kind.ToString());
            json.WriteString("time", change.Time);
            if (change.TraceId is not null) json.WriteString("trace", change.TraceId);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static BasicProperties Properties(ChangeRecord change)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = ContentType,
            Type = MessageType,
            MessageId = change.Sequence.ToString(CultureInfo.InvariantCulture),
            Timestamp = new AmqpTimestamp(change.Time.ToUnixTimeSeconds()),
        };
        if (TraceParent(change.TraceId) is { } traceParent)
            properties.Headers = new Dictionary<string, object?> { [TraceParentHeader] = traceParent };
        return properties;
    }

    /// <summary>A traceparent for a W3C trace id; null for anything else (the body still carries it).</summary>
    internal static string? TraceParent(string? traceId)
    {
        if (traceId is null || traceId.Length != 32 || !IsLowerHex(traceId) || traceId.All(c => c == '0')) return null;
        // The publish is its own span within the request's trace.
        return $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }

    /// <summary>Reads a body back; null when it is not one of ours (never thrown: a malformed
    /// message is an expected failure the subscription counts and drops).</summary>
    public static ChangeRecord? TryDecode(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            long? seq = null, vid = null;
            string? tenant = null, type = null, id = null, kind = null, trace = null;
            DateTimeOffset? time = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "seq": seq = reader.GetInt64(); break;
                    case "vid": vid = reader.GetInt64(); break;
                    case "tenant": tenant = reader.GetString(); break;
                    case "type": type = reader.GetString(); break;
                    case "id": id = reader.GetString(); break;
                    case "kind": kind = reader.GetString(); break;
                    case "time": time = reader.GetDateTimeOffset(); break;
                    case "trace": trace = reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }
            if (seq is null || vid is null || tenant is null || type is null || id is null || time is null
                || !Enum.TryParse<ChangeKind>(kind, out var changeKind) || !Enum.IsDefined(changeKind))
                return null;
            return new ChangeRecord(seq.Value, tenant, type, id, vid.Value, changeKind, time.Value, trace);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The traceparent header of a delivery, for diagnostics and tests.</summary>
    public static string? TraceParentOf(IReadOnlyBasicProperties properties) =>
        properties.Headers is { } headers && headers.TryGetValue(TraceParentHeader, out var value) && value is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : null;

    private static bool IsLowerHex(string value) => value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
