namespace Meridian.Fhir.Outcomes;

public enum IssueSeverity { Fatal, Error, Warning, Information }

/// <summary>Codes from the FHIR issue-type value set that Meridian uses.</summary>
public static class IssueType
{
    public const string Invalid = "invalid";
    public const string Structure = "structure";
    public const string Required = "required";
    public const string Value = "value";
    public const string Invariant = "invariant";
    public const string CodeInvalid = "code-invalid";
    public const string TooLong = "too-long";
    public const string TooCostly = "too-costly";
    public const string NotSupported = "not-supported";
    public const string Processing = "processing";
    public const string Exception = "exception";
    public const string NotFound = "not-found";
    public const string Informational = "informational";
}

/// <summary>One finding: what is wrong, where (FHIRPath expression; line/column for parse
/// errors), how bad. Expected failures travel as values of this type, not as exceptions.</summary>
public sealed record Issue(
    IssueSeverity Severity,
    string Code,
    string Message,
    string? Expression = null,
    int? Line = null,
    int? Column = null,
    string? Source = null)
{
    public bool IsError => Severity is IssueSeverity.Error or IssueSeverity.Fatal;

    public static Issue Error(string code, string message, string? expression = null) =>
        new(IssueSeverity.Error, code, message, expression);

    public static Issue Warning(string code, string message, string? expression = null) =>
        new(IssueSeverity.Warning, code, message, expression);

    public override string ToString() =>
        $"{Severity.ToString().ToLowerInvariant()} [{Code}] {(Expression is null ? "" : Expression + ": ")}{Message}" +
        (Line is null ? "" : $" (line {Line}, column {Column})");
}
