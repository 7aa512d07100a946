namespace Meridian.Hl7;

/// <summary>How bad an <see cref="Hl7Issue"/> is: a warning leaves a usable message, an error does not.</summary>
public enum Hl7Severity
{
    Warning,
    Error,
}

/// <summary>
/// Something the parser noticed. Real senders get many details wrong; those are warnings and the
/// message is still usable. Only structural failures (no MSH, unusable delimiters) are errors.
/// </summary>
/// <param name="Code">Stable machine-readable code, e.g. <c>SEGMENT_SEPARATOR</c> (see <see cref="Hl7IssueCodes"/>).</param>
/// <param name="Location">Where, e.g. <c>MSH-12</c> or <c>segment 4</c>; empty when the whole payload is meant.</param>
public sealed record Hl7Issue(Hl7Severity Severity, string Code, string Message, string Location = "")
{
    public static Hl7Issue Warning(string code, string message, string location = "") => new(Hl7Severity.Warning, code, message, location);

    public static Hl7Issue Error(string code, string message, string location = "") => new(Hl7Severity.Error, code, message, location);

    public override string ToString() => Location.Length == 0 ? $"{Severity} {Code}: {Message}" : $"{Severity} {Code} at {Location}: {Message}";
}

/// <summary>The issue codes the parser reports.</summary>
public static class Hl7IssueCodes
{
    public const string Empty = "EMPTY";
    public const string NoMsh = "NO_MSH";
    public const string BadDelimiters = "BAD_DELIMITERS";
    public const string Batch = "BATCH";
    public const string LeadingJunk = "LEADING_CHARACTERS";
    public const string TrailingJunk = "TRAILING_CHARACTERS";
    public const string SegmentSeparator = "SEGMENT_SEPARATOR";
    public const string BlankLines = "BLANK_LINES";
    public const string SegmentId = "SEGMENT_ID";
    public const string TrailingDelimiters = "TRAILING_DELIMITERS";
    public const string MissingField = "MISSING_FIELD";
    public const string Version = "VERSION";
    public const string VersionMismatch = "VERSION_MISMATCH";
    public const string Charset = "CHARSET";
    public const string MultipleMessages = "MULTIPLE_MESSAGES";
    public const string BatchStructure = "BATCH_STRUCTURE";
    public const string TooLarge = "TOO_LARGE";
    public const string DataType = "DATA_TYPE";
    public const string LineBreakInField = "LINE_BREAK_IN_FIELD";
}
