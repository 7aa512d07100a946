using System.Text;
using Meridian.Fhir.Search.Internal;

namespace Meridian.Fhir.Search;

/// <summary>
/// The form string search compares: accents removed, lower-cased (invariant), whitespace runs
/// collapsed to one space and trimmed. The store applies the same function to the search
/// value, so "Chalmérs" matches <c>name=chal</c>.
/// </summary>
public static class StringNormalizer
{
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // Most values are already lower-case ASCII with single spaces: return them unchanged,
        // without allocating.
        if (IsAlreadyNormal(value))
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (DiacriticTable.IsCombiningMark(c))
            {
                continue;
            }
            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }
            var folded = DiacriticTable.Fold(c);
            if (folded is not null)
            {
                sb.Append(folded);
            }
            else
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }
        return sb.ToString();
    }

    private static bool IsAlreadyNormal(string value)
    {
        var previousSpace = true; // a leading space is not normal
        foreach (var c in value)
        {
            if (c == ' ')
            {
                if (previousSpace)
                {
                    return false;
                }
                previousSpace = true;
                continue;
            }
            if (c > 0x7e || c < 0x20 || c is >= 'A' and <= 'Z')
            {
                return false;
            }
            previousSpace = false;
        }
        return !previousSpace || value.Length == 0;
    }
}
