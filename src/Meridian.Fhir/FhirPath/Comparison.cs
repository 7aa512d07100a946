namespace Meridian.Fhir.FhirPath;

/// <summary>Ordering for <c>&lt; &gt; &lt;= &gt;=</c>: numbers, strings, dates/times and quantities.</summary>
internal static class Comparison
{
    /// <summary>Compares two singletons; null when the answer is unknown (different precisions or
    /// incommensurable units). Throws for values of types that cannot be compared.</summary>
    public static int? Compare(object x, object y)
    {
        var a = SystemValues.ToSystem(x);
        var b = SystemValues.ToSystem(y);
        switch (a)
        {
            case long la when b is long lb:
                return la.CompareTo(lb);
            case long la when b is decimal db:
                return ((decimal)la).CompareTo(db);
            case decimal da when b is decimal db:
                return da.CompareTo(db);
            case decimal da when b is long lb:
                return da.CompareTo(lb);
            case string sa when b is string sb:
                return string.CompareOrdinal(sa, sb);
            case FhirPathQuantity qa when b is FhirPathQuantity qb:
                return Units.TryAlign(qa, qb, out var va, out var vb) ? va.CompareTo(vb) : null;
        }
        if (TryCompareTemporal(a, b, out var c))
        {
            return c;
        }
        throw new FhirPathException($"Cannot compare {SystemValues.TypeNameOf(a)} with {SystemValues.TypeNameOf(b)}");
    }

    /// <summary>True when both are temporal values of compatible kinds; <paramref name="result"/> is the comparison.</summary>
    public static bool TryCompareTemporal(object a, object b, out int? result)
    {
        result = null;
        if (!TemporalParts(a, out var ta, out var timeA) || !TemporalParts(b, out var tb, out var timeB) || timeA != timeB)
        {
            return false;
        }
        result = Temporal.Compare(ta, tb, timeA);
        return true;
    }

    public static bool TemporalParts(object v, out Temporal t, out bool isTime)
    {
        switch (v)
        {
            case FhirPathDate d:
                t = d.Value;
                isTime = false;
                return true;
            case FhirPathDateTime dt:
                t = dt.Value;
                isTime = false;
                return true;
            case FhirPathTime tm:
                t = tm.Value;
                isTime = true;
                return true;
            default:
                t = default;
                isTime = false;
                return false;
        }
    }
}
