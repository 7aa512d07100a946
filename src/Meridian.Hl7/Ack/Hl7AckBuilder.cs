using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Meridian.Hl7;

/// <summary>One ERR segment: an HL7 table 0357 code, where (an <see cref="Hl7Path"/> such as "PID-3"), and what.</summary>
public sealed record Hl7AckError(string Code, string Text, string Location = "", Hl7ErrorSeverity Severity = Hl7ErrorSeverity.Error);

/// <summary>What an acknowledgement says besides its code. Everything is optional.</summary>
public sealed record Hl7AckOptions
{
    /// <summary>MSH-10 of the ACK; a fresh random id when null.</summary>
    public string? ControlId { get; init; }

    /// <summary>MSH-7 of the ACK; the current time when null.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>MSA-3 (before v2.7, where it was withdrawn) and the text of the first ERR when no errors are given.</summary>
    public string? Text { get; init; }

    public ImmutableArray<Hl7AckError> Errors { get; init; } = [];

    /// <summary>MSH-3 of the ACK when set (escaped HD, e.g. "MERIDIAN"); otherwise the incoming MSH-5.</summary>
    public string? SendingApplication { get; init; }

    /// <summary>MSH-4 of the ACK when set; otherwise the incoming MSH-6.</summary>
    public string? SendingFacility { get; init; }
}

/// <summary>
/// Builds ACK messages for an incoming message: MSH from the incoming one (sender and receiver
/// swapped, same version, processing id, character set and delimiters, a new control id), MSA
/// with the code and the incoming MSH-10, and ERR segments in the form the version uses (ERL
/// location and CWE code from v2.5, ELD before).
/// </summary>
public static class Hl7AckBuilder
{
    public static Hl7Message Build(Hl7Message incoming, Hl7AckCode code, Hl7AckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        options ??= new Hl7AckOptions();
        var d = incoming.Delimiters;
        var msh = incoming.Msh;
        var minor = Hl7Versions.Minor(incoming.Version);
        var trigger = msh.Field(9).Component(2).Raw;
        var messageType = minor < 3 || trigger.Length == 0 ? "ACK"
            : minor == 3 && incoming.Version == "2.3" ? $"ACK{d.Component}{trigger}"
            : $"ACK{d.Component}{trigger}{d.Component}ACK";
        var header = Hl7Segment.Create("MSH", d,
        [
            options.SendingApplication ?? msh.Field(5).Raw,
            options.SendingFacility ?? msh.Field(6).Raw,
            msh.Field(3).Raw,
            msh.Field(4).Raw,
            Hl7DateTime.Format(options.Time ?? DateTimeOffset.UtcNow),
            "",
            messageType,
            options.ControlId ?? NewControlId(),
            msh.Field(11).IsEmpty ? "P" : msh.Field(11).Raw,
            msh.Field(12).IsEmpty ? Hl7Versions.Default : msh.Field(12).Raw,
            "", "", "", "", "",
            msh.Field(18).Raw,
        ], incoming.Version);
        var text = options.Text ?? "";
        var msa = Hl7Segment.Create("MSA", d,
        [
            code.ToString(),
            msh.Field(10).Raw,
            minor < 7 ? Hl7Escape.Encode(text, d) : "",
        ], incoming.Version);
        var segments = new List<Hl7Segment> { header, msa };
        var errors = options.Errors;
        if (errors.IsEmpty && code is not (Hl7AckCode.AA or Hl7AckCode.CA) && text.Length > 0)
        {
            errors = [new Hl7AckError(Hl7ErrorCodes.ApplicationInternalError, text)];
        }
        segments.AddRange(errors.Select(e => ErrorSegment(e, d, minor, incoming.Version)));
        return Hl7Message.Create(segments, incoming.Encoding);
    }

    /// <summary>
    /// An acknowledgement for a payload that did not parse: built from whatever MSH could be read,
    /// else from a minimal header with default delimiters, so a sender always gets an answer.
    /// </summary>
    public static Hl7Message BuildForUnparsed(string payload, Hl7AckCode code, Hl7AckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return BuildFor(Hl7Parser.Parse(payload), payload, code, options);
    }

    /// <summary>As <see cref="BuildForUnparsed(string, Hl7AckCode, Hl7AckOptions?)"/>, from the bytes as received.</summary>
    public static Hl7Message BuildForUnparsed(ReadOnlySpan<byte> payload, Hl7AckCode code, Hl7AckOptions? options = null) =>
        BuildFor(Hl7Parser.Parse(payload), System.Text.Encoding.Latin1.GetString(payload), code, options);

    private static Hl7Message BuildFor(Hl7ParseResult parsed, string text, Hl7AckCode code, Hl7AckOptions? options)
    {
        if (parsed.Message is { } message)
        {
            return Build(message, code, options);
        }
        return Build(Hl7Message.Create([LenientHeader(text)]), code, options);
    }

    /// <summary>
    /// The header fields of a payload whose delimiters are unusable, read with only its field
    /// separator, so the reject still names the sender and echoes MSH-10 for correlation.
    /// </summary>
    private static Hl7Segment LenientHeader(string text)
    {
        var start = text.IndexOf("MSH", StringComparison.Ordinal);
        var fields = new string[10];
        Array.Fill(fields, "");
        if (start >= 0 && start + 3 < text.Length && text[start + 3] is var separator && !char.IsLetterOrDigit(separator) && !char.IsControl(separator))
        {
            var line = text[start..];
            var end = line.AsSpan().IndexOfAny('\r', '\n');
            var parts = (end < 0 ? line : line[..end]).Split(separator);
            // parts[k] is MSH-(k+1); the ACK takes MSH-3..6, MSH-10..12 (escaped for the default delimiters).
            for (var position = 3; position <= 12; position++)
            {
                if (position is 3 or 4 or 5 or 6 or 10 or 11 or 12 && position - 1 < parts.Length)
                {
                    fields[position - 3] = Hl7Escape.Encode(parts[position - 1], Hl7Delimiters.Default);
                }
            }
        }
        if (fields[8].Length == 0)
        {
            fields[8] = "P";
        }
        return Hl7Segment.Create("MSH", Hl7Delimiters.Default, fields);
    }

    private static Hl7Segment ErrorSegment(Hl7AckError error, Hl7Delimiters d, int minor, string version)
    {
        var text = Hl7Escape.Encode(error.Text, d);
        var codeText = Hl7Escape.Encode(Hl7ErrorCodes.Text(error.Code), d);
        var path = Hl7Path.TryParse(error.Location, out var parsed) ? parsed : null;
        if (minor < 5)
        {
            // ELD: segment^sequence^field^code&text&table.
            var eld = path is null ? "" : $"{path.SegmentId}{d.Component}{path.Occurrence}{d.Component}{(path.Field > 0 ? path.Field : "")}";
            var codeCe = $"{error.Code}{d.Subcomponent}{(text.Length > 0 ? text : codeText)}{d.Subcomponent}HL70357";
            return Hl7Segment.Create("ERR", d, [eld.Length == 0 ? $"{d.Component}{d.Component}{d.Component}{codeCe}" : $"{eld}{d.Component}{codeCe}"], version);
        }
        var erl = path is null ? "" : string.Join(d.Component,
            new[] { path.SegmentId, path.Occurrence.ToString(System.Globalization.CultureInfo.InvariantCulture), Num(path.Field), path.Field > 0 ? Num(path.Repetition) : "", Num(path.Component), Num(path.Subcomponent) })
            .TrimEnd(d.Component);
        var severity = error.Severity switch
        {
            Hl7ErrorSeverity.Warning => "W",
            Hl7ErrorSeverity.Information => "I",
            _ => "E",
        };
        return Hl7Segment.Create("ERR", d,
        [
            "",
            erl,
            $"{error.Code}{d.Component}{codeText}{d.Component}HL70357",
            severity,
            "", "", "",
            text,
        ], version);
    }

    private static string Num(int n) => n > 0 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>A 20-character random control id (MSH-10 is at most 20 characters before v2.7).</summary>
    public static string NewControlId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(10));
}
