using System.Text;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>FHIRPath equality (<c>=</c>) and equivalence (<c>~</c>) for items and collections.</summary>
internal static class Equality
{
    /// <summary>Collection <c>=</c>: empty if either side is empty; ordered, item-wise; null when uncertain.</summary>
    public static bool? CollectionEquals(IReadOnlyList<object> a, IReadOnlyList<object> b)
    {
        if (a.Count == 0 || b.Count == 0)
        {
            return null;
        }
        if (a.Count != b.Count)
        {
            return false;
        }
        var result = (bool?)true;
        for (var i = 0; i < a.Count; i++)
        {
            var e = ItemEquals(a[i], b[i]);
            if (e == false)
            {
                return false;
            }
            if (e is null)
            {
                result = null;
            }
        }
        return result;
    }

    /// <summary>Collection <c>~</c>: never empty; order does not matter.</summary>
    public static bool CollectionEquivalent(IReadOnlyList<object> a, IReadOnlyList<object> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        if (a.Count == 1)
        {
            return ItemEquivalent(a[0], b[0]);
        }
        var used = new bool[b.Count];
        for (var i = 0; i < a.Count; i++)
        {
            var found = false;
            for (var j = 0; j < b.Count && !found; j++)
            {
                if (!used[j] && ItemEquivalent(a[i], b[j]))
                {
                    used[j] = found = true;
                }
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }

    public static bool? ItemEquals(object x, object y)
    {
        var a = SystemValues.ToSystem(x);
        var b = SystemValues.ToSystem(y);
        switch (a)
        {
            case string sa:
                return b is string sb ? string.Equals(sa, sb, StringComparison.Ordinal) : false;
            case bool ba:
                return b is bool bb ? ba == bb : false;
            case long la:
                return b switch { long lb => la == lb, decimal db => la == db, _ => false };
            case decimal da:
                return b switch { decimal db => da == db, long lb => da == lb, _ => false };
            case FhirPathQuantity qa:
                return b is FhirPathQuantity qb ? QuantityEquals(qa, qb) : false;
            case FhirNode na:
                return b is FhirNode nb ? NodeEquals(na, nb, false) : false;
        }
        if (Comparison.TryCompareTemporal(a, b, out var c))
        {
            return c is null ? null : c == 0;
        }
        return false;
    }

    public static bool ItemEquivalent(object x, object y)
    {
        var a = SystemValues.ToSystem(x);
        var b = SystemValues.ToSystem(y);
        switch (a)
        {
            case string sa:
                return b is string sb && string.Equals(NormalizeString(sa), NormalizeString(sb), StringComparison.OrdinalIgnoreCase);
            case bool ba:
                return b is bool bb && ba == bb;
            case long la:
                return b switch { long lb => la == lb, decimal db => DecimalEquivalent(la, db), _ => false };
            case decimal da:
                return b switch { decimal db => DecimalEquivalent(da, db), long lb => DecimalEquivalent(da, lb), _ => false };
            case FhirPathQuantity qa:
                return b is FhirPathQuantity qb && QuantityEquivalent(qa, qb);
            case FhirNode na:
                return b is FhirNode nb && NodeEquals(na, nb, true);
        }
        if (Comparison.TemporalParts(a, out var ta, out var timeA) && Comparison.TemporalParts(b, out var tb, out var timeB))
        {
            if (timeA != timeB || ta.Precision != tb.Precision && !(ta.Precision >= DateTimePrecision.Second && tb.Precision >= DateTimePrecision.Second))
            {
                return false;
            }
            return Temporal.Compare(ta, tb, timeA) == 0;
        }
        return false;
    }

    /// <summary>Decimal equivalence compares at the precision of the less precise operand.</summary>
    private static bool DecimalEquivalent(decimal a, decimal b)
    {
        var scale = Math.Min(Scale(a), Scale(b));
        return Math.Round(a, scale, MidpointRounding.AwayFromZero) == Math.Round(b, scale, MidpointRounding.AwayFromZero);
    }

    private static int Scale(decimal d) => (decimal.GetBits(d)[3] >> 16) & 0xFF;

    private static bool? QuantityEquals(FhirPathQuantity a, FhirPathQuantity b)
    {
        if (Units.TryAlign(a, b, out var va, out var vb))
        {
            return va == vb;
        }
        // Calendar year/month against UCUM 'a'/'mo' is not comparable; other unit mismatches are simply unequal.
        return IsIndefiniteMix(a, b) ? null : false;
    }

    private static bool QuantityEquivalent(FhirPathQuantity a, FhirPathQuantity b)
    {
        if (IsIndefiniteMix(a, b))
        {
            var ua = Units.ToUcum(a.Unit);
            var ub = Units.ToUcum(b.Unit);
            return ua == ub && DecimalEquivalent(a.Value, b.Value);
        }
        return Units.TryAlign(a, b, out var va, out var vb) && DecimalEquivalent(va, vb);
    }

    private static bool IsIndefiniteMix(FhirPathQuantity a, FhirPathQuantity b) =>
        (Units.CalendarUnit(a.Unit) is "year" or "month") != (Units.CalendarUnit(b.Unit) is "year" or "month")
        && Units.ToUcum(a.Unit) == Units.ToUcum(b.Unit);

    /// <summary>Trim, collapse internal whitespace to single spaces (case is handled by the caller).</summary>
    public static string NormalizeString(string s)
    {
        var sb = new StringBuilder(s.Length);
        var space = false;
        foreach (var c in s.AsSpan().Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space)
            {
                sb.Append(' ');
                space = false;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Structural equality of nodes: equal primitive values and the same children, in order.</summary>
    private static bool NodeEquals(FhirNode a, FhirNode b, bool equivalent)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a.Text != b.Text)
        {
            if (a.Text is null || b.Text is null)
            {
                return false;
            }
            var va = SystemValues.FromPrimitive(a.TypeName, a.Text, a.Kind);
            var vb = SystemValues.FromPrimitive(b.TypeName, b.Text, b.Kind);
            if (va is null || vb is null || !(equivalent ? ItemEquivalent(va, vb) : ItemEquals(va, vb) == true))
            {
                return false;
            }
        }
        var ca = a.Children;
        var cb = b.Children;
        if (ca.Length != cb.Length)
        {
            return false;
        }
        for (var i = 0; i < ca.Length; i++)
        {
            if (ca[i].Name != cb[i].Name || !NodeEquals(ca[i], cb[i], equivalent))
            {
                return false;
            }
        }
        return true;
    }
}
