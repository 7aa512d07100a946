using System.Globalization;
using System.Text;

namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// INTERIM: reads only MSH fields and one ordering-key field, and writes ACKs, until the
/// engine is switched to the real parser of Meridian.Hl7 (being written beside this engine).
/// It does not unescape, does not validate segments, and treats the payload as UTF-8.
/// </summary>
internal sealed class InterimMshCodec : IHl7MessageCodec
{
    public Hl7Reading Read(ReadOnlyMemory<byte> raw, string? orderingKeyPath)
    {
        var text = Encoding.UTF8.GetString(raw.Span);
        var segments = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || !segments[0].StartsWith("MSH", StringComparison.Ordinal) || segments[0].Length < 8)
        {
            return Hl7Reading.Failed("the payload does not start with an MSH segment");
        }
        var msh = segments[0];
        var fs = msh[3];
        var comp = msh[4];
        var fields = msh.Split(fs);
        string F(int n) => n - 1 < fields.Length ? First(fields[n - 1], comp) : ""; // fields[1] is MSH-2
        var header = new Hl7Header
        {
            SendingApplication = F(3),
            SendingFacility = F(4),
            ReceivingApplication = F(5),
            ReceivingFacility = F(6),
            MessageType = fields.Length > 8 ? string.Join('^', fields[8].Split(comp).Take(2)) : "",
            ControlId = F(10),
            ProcessingId = F(11),
            Version = F(12),
            AcceptAckType = F(15),
            ApplicationAckType = F(16),
        };
        if (header.ControlId.Length == 0)
        {
            return Hl7Reading.Failed("MSH-10 (message control id) is missing", header);
        }
        if (header.MessageType.Length == 0)
        {
            return Hl7Reading.Failed("MSH-9 (message type) is missing", header);
        }
        return new Hl7Reading(header, null, []) { OrderingKey = orderingKeyPath is null ? null : Value(segments, fs, comp, orderingKeyPath) };
    }

    private static string First(string field, char comp)
    {
        var i = field.IndexOf(comp, StringComparison.Ordinal);
        return i < 0 ? field : field[..i];
    }

    private static string? Value(string[] segments, char fs, char comp, string path)
    {
        var dash = path.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return null;
        }
        var segment = path[..dash];
        var rest = path[(dash + 1)..].Split('.');
        var field = int.Parse(rest[0], CultureInfo.InvariantCulture);
        var component = rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 0;
        foreach (var s in segments)
        {
            if (s.Length > segment.Length && s.StartsWith(segment, StringComparison.Ordinal) && s[segment.Length] == fs)
            {
                var fields = s.Split(fs);
                var offset = segment == "MSH" ? -1 : 0;
                if (field + offset >= fields.Length)
                {
                    return null;
                }
                var value = fields[field + offset].Split('~')[0];
                if (component > 0)
                {
                    var comps = value.Split(comp);
                    return component <= comps.Length ? comps[component - 1] : null;
                }
                return value;
            }
        }
        return null;
    }

    public byte[] Acknowledge(Hl7Header? original, Hl7Ack ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        var h = original ?? new Hl7Header();
        var now = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var trigger = h.MessageType.Split('^') is [_, var ev, ..] ? ev : "";
        var text = new StringBuilder()
            .Append("MSH|^~\\&|").Append(h.ReceivingApplication).Append('|').Append(h.ReceivingFacility).Append('|')
            .Append(h.SendingApplication).Append('|').Append(h.SendingFacility).Append('|').Append(now).Append("||ACK^")
            .Append(trigger).Append("^ACK|").Append("ACK").Append(h.ControlId).Append('|')
            .Append(h.ProcessingId.Length > 0 ? h.ProcessingId : "P").Append('|').Append(h.Version.Length > 0 ? h.Version : "2.5.1").Append('\r')
            .Append("MSA|").Append(ack.Code).Append('|').Append(h.ControlId);
        if (ack.Text is { Length: > 0 } reason)
        {
            text.Append('|').Append(Clean(reason));
        }
        text.Append('\r');
        if (ack.ErrorCode is { } code)
        {
            text.Append("ERR||||E|").Append(code).Append("^^HL70357|||").Append(Clean(ack.Text ?? "")).Append('\r');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Clean(string s) => s.Replace("|", " ", StringComparison.Ordinal).Replace("^", " ", StringComparison.Ordinal)
        .Replace("~", " ", StringComparison.Ordinal).Replace("\\", " ", StringComparison.Ordinal).Replace("&", " ", StringComparison.Ordinal)
        .Replace('\r', ' ').Replace('\n', ' ');
}
