namespace Meridian.Api.Internal;

internal enum PreferReturn { Representation, Minimal, OperationOutcome }

/// <summary>Reads the FHIR tokens of the <c>Prefer</c> header (RFC 7240).</summary>
internal static class PreferHeader
{
    public static PreferReturn Return(string? prefer) => Token(prefer, "return") switch
    {
        "minimal" => PreferReturn.Minimal,
        "OperationOutcome" => PreferReturn.OperationOutcome,
        _ => PreferReturn.Representation,
    };

    /// <summary><c>handling=strict</c>: unknown search parameters are errors (default lenient).</summary>
    public static bool Strict(string? prefer) => Token(prefer, "handling") == "strict";

    private static string? Token(string? prefer, string name)
    {
        if (string.IsNullOrEmpty(prefer))
        {
            return null;
        }
        foreach (var part in prefer.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part.AsSpan(0, eq).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim().Trim('"');
            }
        }
        return null;
    }
}
