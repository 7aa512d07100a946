using Meridian.Fhir.Terminology;

namespace Meridian.Storage.Search.Expressions;

/// <summary>
/// Builds number and quantity predicates with the implicit precision range of the search value
/// (FHIR: <c>100</c> means [99.5, 100.5)) and, for UCUM quantities, their canonical form, so the
/// query-string parser and in-process callers produce the same trees.
/// </summary>
public static class Predicates
{
    public const string Ucum = "http://unitsofmeasure.org";

    public static NumberPredicate Number(SearchPrefix prefix, decimal value)
    {
        var (low, high) = PrecisionRange(value);
        return new NumberPredicate(prefix, value, low, high);
    }

    /// <summary>A quantity; with a UCUM (or absent) system and a convertible code it also carries
    /// the canonical value and range, which the store compares across units.</summary>
    public static QuantityPredicate Quantity(SearchPrefix prefix, decimal value, string? system, string? code, UcumService? ucum = null)
    {
        var (low, high) = PrecisionRange(value);
        var p = new QuantityPredicate(prefix, value, low, high, system, code);
        ucum ??= UcumService.Default;
        if (code is null || (system is not null && system != Ucum)
            || !ucum.TryCanonicalize(value, code, out var cv, out var unit)
            || !ucum.TryCanonicalize(low, code, out var cl, out _)
            || !ucum.TryCanonicalize(high, code, out var ch, out _))
        {
            return p;
        }
        return p with { CanonicalValue = cv, CanonicalLow = Math.Min(cl, ch), CanonicalHigh = Math.Max(cl, ch), CanonicalUnit = unit };
    }

    /// <summary>Half a unit of the last stated digit either side: 5.4 -> [5.35, 5.45].</summary>
    public static (decimal Low, decimal High) PrecisionRange(decimal value)
    {
        var scale = value.Scale;
        var half = 0.5m;
        for (var i = 0; i < scale; i++)
        {
            half /= 10;
        }
        return (value - half, value + half);
    }
}
