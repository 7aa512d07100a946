namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// Reduces a parsed term to factor × base units by following each atom's definition. Atom
/// meanings come from <see cref="UcumEssence"/>, which computes them once at load with this same
/// evaluator (definitions are themselves UCUM terms).
/// </summary>
internal static class UcumCanonicalizer
{
    // Guards BigInteger.Pow against absurd inputs such as "10*999999999"; no real unit comes close.
    private const int MaxExponent = 128;

    public static UcumCanonicalForm Evaluate(UcumTerm term, Func<UcumAtom, UcumCanonicalForm> meaningOf)
    {
        // A special unit on an interval scale (Cel, [degF]) is only convertible on its own: "Cel/h"
        // would need the difference semantics UCUM does not define.
        if (term.Parts is [{ Divide: false, Component: UcumUnitComponent { Atom.IsSpecial: true, Exponent: 1 } single }])
        {
            var meaning = meaningOf(single.Atom);
            if (meaning.Problem is not null)
            {
                return meaning;
            }
            var prefix = single.Prefix?.Value ?? Rational.One;
            return UcumCanonicalForm.Create(prefix * meaning.Factor, meaning.Offset, ToPairs(meaning));
        }
        var dims = new Dictionary<string, int>(StringComparer.Ordinal);
        var factor = Rational.One;
        var problem = Accumulate(term, 1, meaningOf, dims, ref factor);
        if (problem is not null)
        {
            return UcumCanonicalForm.NotConvertible(problem);
        }
        if (factor.IsZero)
        {
            return UcumCanonicalForm.NotConvertible("the unit has a zero factor");
        }
        return UcumCanonicalForm.Create(factor, Rational.Zero, dims);
    }

    private static string? Accumulate(UcumTerm term, int sign, Func<UcumAtom, UcumCanonicalForm> meaningOf, Dictionary<string, int> dims, ref Rational factor)
    {
        foreach (var part in term.Parts)
        {
            var s = part.Divide ? -sign : sign;
            switch (part.Component)
            {
                case UcumFactorComponent f:
                    if (f.Value.IsZero)
                    {
                        return "the unit has a zero factor";
                    }
                    factor = s > 0 ? factor * Rational.FromInteger(f.Value) : factor / Rational.FromInteger(f.Value);
                    break;
                case UcumUnityComponent:
                    break;
                case UcumGroupComponent g:
                    var inner = Accumulate(g.Term, s, meaningOf, dims, ref factor);
                    if (inner is not null)
                    {
                        return inner;
                    }
                    break;
                case UcumUnitComponent u:
                    var problem = AccumulateUnit(u, s, meaningOf, dims, ref factor);
                    if (problem is not null)
                    {
                        return problem;
                    }
                    break;
            }
        }
        return null;
    }

    private static string? AccumulateUnit(UcumUnitComponent u, int sign, Func<UcumAtom, UcumCanonicalForm> meaningOf, Dictionary<string, int> dims, ref Rational factor)
    {
        var meaning = meaningOf(u.Atom);
        if (meaning.Problem is not null)
        {
            return meaning.Problem;
        }
        if (!meaning.Offset.IsZero || u.Atom.IsSpecial)
        {
            return $"the special unit '{u.Atom.Code}' is on an interval scale and can only be converted on its own, not inside a larger unit term";
        }
        var exponent = (long)u.Exponent * sign;
        if (Math.Abs(exponent) > MaxExponent)
        {
            return $"the exponent {u.Exponent} is too large to convert";
        }
        var e = (int)exponent;
        var unitFactor = u.Prefix is null ? meaning.Factor : u.Prefix.Value * meaning.Factor;
        if (unitFactor.IsZero)
        {
            return $"'{u.Atom.Code}' has a zero magnitude";
        }
        factor *= unitFactor.Pow(e);
        foreach (var d in meaning.Dimensions)
        {
            dims[d.Symbol] = dims.GetValueOrDefault(d.Symbol) + (d.Exponent * e);
        }
        return null;
    }

    private static IEnumerable<KeyValuePair<string, int>> ToPairs(UcumCanonicalForm form)
    {
        foreach (var d in form.Dimensions)
        {
            yield return new(d.Symbol, d.Exponent);
        }
    }
}
