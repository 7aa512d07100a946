namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// y = (x × P + O) / Q in System.Decimal, when the exact rational map y = x × F + C can be
/// written with decimal P, O, Q (F = P/Q, C = O/Q). That covers every factor built from prefixes
/// and the common clinical units, including 1/60 (/min) and 5/9 ([degF]), so the hot path does
/// one multiplication and at most one division with no allocation, and 60 /min gives exactly 1.
/// Only the product x × P can round (beyond 28 digits), so results match the exact rational
/// answer to within the last digit.
/// </summary>
internal readonly struct DecimalAffine
{
    private DecimalAffine(decimal p, decimal o, decimal q, decimal maxInput)
    {
        P = p;
        O = o;
        Q = q;
        MaxInput = maxInput;
        IsAvailable = true;
    }

    public bool IsAvailable { get; }

    public decimal P { get; }

    public decimal O { get; }

    public decimal Q { get; }

    /// <summary>Largest |x| for which x × P + O cannot overflow.</summary>
    public decimal MaxInput { get; }

    public static DecimalAffine From(Rational factor, Rational offset)
    {
        if (factor.IsZero
            || !Rational.FromInteger(factor.Numerator).TryToExactDecimal(out var p)
            || !Rational.FromInteger(factor.Denominator).TryToExactDecimal(out var q)
            || !(offset * Rational.FromInteger(factor.Denominator)).TryToExactDecimal(out var o))
        {
            return default;
        }
        var absP = Math.Abs(p);
        var headroom = decimal.MaxValue - Math.Abs(o);
        var maxInput = absP > 1m ? headroom / absP : headroom;
        return new DecimalAffine(p, o, q, maxInput);
    }

    public bool TryApply(decimal x, out decimal y)
    {
        if (!IsAvailable || Math.Abs(x) > MaxInput)
        {
            y = 0m;
            return false;
        }
        var scaled = (x * P) + O;
        y = Q == 1m ? scaled : scaled / Q;
        return true;
    }
}
