using Meridian.Fhir.Outcomes;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>A parse step's result: a value, or the reason there is none and its FHIR issue type.</summary>
internal readonly record struct Parsed<T>(T? Value, string? Error, string IssueCode)
{
    public static Parsed<T> Ok(T value) => new(value, null, IssueType.Informational);

    public static Parsed<T> Fail(string error, string issueCode = IssueType.Invalid) => new(default, error, issueCode);

    public bool IsOk => Error is null;
}
