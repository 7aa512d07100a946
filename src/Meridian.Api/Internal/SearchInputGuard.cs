using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Internal;

/// <summary>
/// Refuses search input no database should see: NUL characters (PostgreSQL text cannot hold
/// them), unpaired UTF-16 surrogates (not encodable as UTF-8), and names or values longer than
/// any real search needs (SQLite rejects LIKE patterns over 50,000 bytes). Hostile input then
/// gets a 400 OperationOutcome instead of a database error.
/// </summary>
internal static class SearchInputGuard
{
    public const int MaxLength = 4096;

    public static Issue? Check(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            if ((Problem(name) ?? Problem(value)) is { } problem)
            {
                var shown = name.Length > 64 ? name[..64] + "…" : name;
                return Issue.Error(IssueType.Invalid, $"Search parameter '{Printable(shown)}': {problem}.");
            }
        }
        return null;
    }

    private static string? Problem(string s)
    {
        if (s.Length > MaxLength)
        {
            return $"longer than {MaxLength} characters";
        }
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0')
            {
                return "contains a NUL character";
            }
            if (char.IsHighSurrogate(c) && (i + 1 >= s.Length || !char.IsLowSurrogate(s[++i])))
            {
                return "is not valid Unicode";
            }
            if (char.IsLowSurrogate(c))
            {
                return "is not valid Unicode";
            }
        }
        return null;
    }

    private static string Printable(string s) => new([.. s.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c)]);
}
