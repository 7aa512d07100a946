using System.Collections.Immutable;
using System.Text;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>A base unit (or an arbitrary unit, which UCUM keeps as its own dimension) and its exponent.</summary>
internal readonly record struct UcumDimension(string Symbol, int Exponent);

/// <summary>
/// What a unit means: canonical value = value × <see cref="Factor"/> + <see cref="Offset"/>, in the
/// base units <see cref="Dimensions"/> (sorted ordinally, so equal dimensions give the same
/// <see cref="Unit"/> string). <see cref="Offset"/> is non-zero only for the affine special units
/// (Cel, [degF], [degRe]). When <see cref="Problem"/> is set the unit is valid but cannot be
/// converted (logarithmic or trigonometric special units, special units inside a larger term).
/// </summary>
internal sealed class UcumCanonicalForm
{
    private UcumCanonicalForm(Rational factor, Rational offset, ImmutableArray<UcumDimension> dimensions, string unit, string? problem)
    {
        Factor = factor;
        Offset = offset;
        Dimensions = dimensions;
        Unit = unit;
        Problem = problem;
        if (problem is null)
        {
            Fast = DecimalAffine.From(factor, offset);
        }
    }

    public Rational Factor { get; }

    public Rational Offset { get; }

    public ImmutableArray<UcumDimension> Dimensions { get; }

    /// <summary>The canonical unit in UCUM syntax, e.g. "g.m-3"; "1" for the unity.</summary>
    public string Unit { get; }

    public string? Problem { get; }

    public bool IsConvertible => Problem is null;

    /// <summary>The allocation-free decimal form of value × Factor + Offset, when one exists.</summary>
    public DecimalAffine Fast { get; }

    public static UcumCanonicalForm Create(Rational factor, Rational offset, IEnumerable<KeyValuePair<string, int>> dimensions)
    {
        var dims = dimensions.Where(d => d.Value != 0)
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new UcumDimension(d.Key, d.Value))
            .ToImmutableArray();
        return new UcumCanonicalForm(factor, offset, dims, Format(dims), null);
    }

    /// <summary>The dimensions of a × b (or a / b when <paramref name="divide"/>), with unit factor.</summary>
    public static UcumCanonicalForm CombineDimensions(UcumCanonicalForm a, UcumCanonicalForm b, bool divide)
    {
        var dims = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in a.Dimensions)
        {
            dims[d.Symbol] = d.Exponent;
        }
        foreach (var d in b.Dimensions)
        {
            dims[d.Symbol] = dims.GetValueOrDefault(d.Symbol) + (divide ? -d.Exponent : d.Exponent);
        }
        return Create(Rational.One, Rational.Zero, dims);
    }

    public static UcumCanonicalForm NotConvertible(string problem) =>
        new(Rational.One, Rational.Zero, [], string.Empty, problem);

    private static string Format(ImmutableArray<UcumDimension> dims)
    {
        if (dims.IsEmpty)
        {
            return "1";
        }
        var sb = new StringBuilder();
        foreach (var d in dims)
        {
            if (sb.Length > 0)
            {
                sb.Append('.');
            }
            sb.Append(d.Symbol);
            if (d.Exponent != 1)
            {
                sb.Append(d.Exponent.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    /// <summary>value × factor + offset, rounded to decimal; false on overflow or when not convertible.</summary>
    public bool TryToCanonical(decimal value, out decimal canonical)
    {
        canonical = 0m;
        if (Problem is not null)
        {
            return false;
        }
        if (Fast.IsAvailable)
        {
            return Fast.TryApply(value, out canonical);
        }
        return ((Rational.FromDecimal(value) * Factor) + Offset).TryToDecimal(out canonical);
    }
}
