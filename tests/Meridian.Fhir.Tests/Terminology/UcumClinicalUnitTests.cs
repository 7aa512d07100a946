using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>Units seen every day in clinical data, with values worked out by hand.</summary>
public class UcumClinicalUnitTests
{
    private static readonly UcumService s_ucum = UcumService.Default;

    private static decimal Dec(string text) => decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("100", "mg/dL", "1000", "g.m-3")]
    [InlineData("1", "g/L", "1000", "g.m-3")]
    [InlineData("1", "mmol/L", "602214076000000000000000", "m-3")]
    [InlineData("1", "[lb_av]", "453.59237", "g")]
    [InlineData("2", "[in_i]", "0.0508", "m")]
    [InlineData("60", "/min", "1", "s-1")]
    [InlineData("5", "10*3/uL", "5000000000000", "m-3")]
    [InlineData("50", "%", "0.5", "1")]
    [InlineData("37", "Cel", "310.15", "K")]
    [InlineData("98.6", "[degF]", "310.15", "K")]
    [InlineData("80", "kg", "80000", "g")]
    [InlineData("120", "mm[Hg]", "15998640", "g.m-1.s-2")]
    [InlineData("1", "kU/L", "10036901266666666666666.666667", "m-3.s-1")]
    [InlineData("3", "{score}", "3", "1")]
    [InlineData("1", "mL/min/{1.73_m2}", "0.0000000166666666666666666667", "m3.s-1")]
    [InlineData("1", "[IU]/L", "1000", "[iU].m-3")]
    public void Canonicalises_to_base_units(string value, string unit, string expected, string expectedUnit)
    {
        Assert.True(s_ucum.TryCanonicalize(Dec(value), unit, out var canonical, out var canonicalUnit), s_ucum.ConversionProblem(unit));
        Assert.Equal(expectedUnit, canonicalUnit);
        Assert.Equal(Dec(expected), canonical);
    }

    [Theory]
    [InlineData("100", "mg/dL", "g/L", "1")]
    [InlineData("1", "[lb_av]", "kg", "0.45359237")]
    [InlineData("37", "Cel", "K", "310.15")]
    [InlineData("98.6", "[degF]", "Cel", "37")]
    [InlineData("0", "Cel", "[degF]", "32")]
    [InlineData("80", "[degRe]", "Cel", "100")]
    [InlineData("1", "[in_i]", "cm", "2.54")]
    [InlineData("90", "/min", "/s", "1.5")]
    [InlineData("7.2", "10*3/uL", "10*9/L", "7.2")]
    [InlineData("250", "mL", "L", "0.25")]
    [InlineData("1", "h", "min", "60")]
    [InlineData("1", "[IU]/mL", "[IU]/L", "1000")]
    [InlineData("1", "[IU]", "[iU]", "1")]
    [InlineData("2", "mg", "ug", "2000")]
    [InlineData("1", "[pi]", "1", "3.1415926535897932384626433833")]
    public void Converts_between_commensurable_units(string value, string from, string to, string expected)
    {
        Assert.True(s_ucum.TryConvert(Dec(value), from, to, out var result));
        Assert.Equal(Dec(expected), result);
    }

    [Theory]
    [InlineData("mg/dL", "g/L", true)]
    [InlineData("mmol/L", "umol/mL", true)]
    [InlineData("Cel", "K", true)]
    [InlineData("[degF]", "Cel", true)]
    [InlineData("kg", "[lb_av]", true)]
    [InlineData("g.m", "m.g", true)]
    [InlineData("mg", "mL", false)]
    [InlineData("mg/dL", "mmol/L", false)]
    [InlineData("[IU]", "[arb'U]", false)]
    [InlineData("[IU]/L", "g/L", false)]
    [InlineData("%", "1", true)]
    [InlineData("[pH]", "[pH]", false)]
    [InlineData("m", "not-a-unit", false)]
    public void Knows_which_units_are_comparable(string a, string b, bool comparable)
    {
        Assert.Equal(comparable, s_ucum.AreComparable(a, b));
        Assert.Equal(comparable, s_ucum.AreComparable(b, a));
    }

    [Theory]
    [InlineData("k[in_i]", "metric")]
    [InlineData("kg[H20]", "not a UCUM unit")]
    [InlineData("(score)", "not a UCUM unit")]
    [InlineData("m/", "not followed by a unit")]
    [InlineData("", "empty")]
    [InlineData("mg/dl ", "spaces")]
    [InlineData("µg", "ASCII")]
    [InlineData("{a", "not closed")]
    [InlineData("[in_i", "not closed")]
    [InlineData("(m", "missing ')'")]
    [InlineData("m)", "unexpected ')'")]
    [InlineData("10+3", "number cannot take an exponent")]
    public void Explains_invalid_units(string unit, string reasonFragment)
    {
        var error = s_ucum.Validate(unit);
        Assert.NotNull(error);
        Assert.Contains(reasonFragment, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[pH]", "non-ratio scale")]
    [InlineData("dB", "non-ratio scale")]
    [InlineData("Cel/h", "interval scale")]
    [InlineData("10*999", "too large")]
    [InlineData("0.m", "zero factor")]
    public void Valid_but_non_convertible_units_say_why(string unit, string reasonFragment)
    {
        Assert.Null(s_ucum.Validate(unit));
        Assert.False(s_ucum.TryCanonicalize(1m, unit, out _, out _));
        Assert.Contains(reasonFragment, s_ucum.ConversionProblem(unit), StringComparison.Ordinal);
    }

    [Fact]
    public void Results_beyond_the_decimal_range_fail_without_throwing()
    {
        Assert.False(s_ucum.TryCanonicalize(10_000_000m, "Ym3", out _, out _));
        Assert.False(s_ucum.TryConvert(1m, "Ym2", "m2", out _));
        Assert.True(s_ucum.TryConvert(1m, "Ym2", "Zm2", out var ratio));
        Assert.Equal(1_000_000m, ratio);
    }

    [Fact]
    public void Canonical_unit_strings_are_sorted_and_stable()
    {
        Assert.True(s_ucum.TryCanonicalize(1m, "s/m/g", out _, out var a));
        Assert.True(s_ucum.TryCanonicalize(1m, "g-1.s.m-1", out _, out var b));
        Assert.Equal("g-1.m-1.s", a);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Repeated_analysis_is_served_from_the_cache()
    {
        var first = s_ucum.Analyze("mg/dL");
        var second = s_ucum.Analyze(new string("mg/dL".AsSpan()));
        Assert.Same(first, second);
    }

    [Fact]
    public void Concurrent_callers_get_the_same_answers()
    {
        string[] units = ["mg/dL", "mmol/L", "10*3/uL", "kg/m2", "[lb_av]", "Cel", "/min", "mL/min/{1.73_m2}"];
        var results = new decimal[units.Length * 50];
        Parallel.For(0, results.Length, i =>
        {
            Assert.True(s_ucum.TryCanonicalize(2m, units[i % units.Length], out var v, out _));
            results[i] = v;
        });
        for (var i = units.Length; i < results.Length; i++)
        {
            Assert.Equal(results[i % units.Length], results[i]);
        }
    }

    [Fact]
    public void Loads_the_whole_essence()
    {
        var essence = Meridian.Fhir.Terminology.Ucum.UcumEssence.LoadEmbedded();
        Assert.Equal("2.2", essence.Version);
        Assert.Equal(24, essence.Prefixes.Length);
        Assert.Equal(7 + 305, essence.Atoms.Count);
        Assert.Equal(7, essence.Atoms.Values.Count(a => a.IsBase));
    }

    [Fact]
    public void Every_atom_definition_evaluates_and_only_non_linear_special_units_are_not_convertible()
    {
        var essence = s_ucum.Essence;
        var notConvertible = essence.Atoms.Values.Where(a => !essence.MeaningOf(a).IsConvertible).Select(a => a.Code).Order(StringComparer.Ordinal).ToList();
        Assert.All(notConvertible, code => Assert.True(essence.Atoms[code].IsSpecial, code));
        Assert.Equal(essence.Atoms.Values.Count(a => a.IsSpecial) - 3, notConvertible.Count);
        Assert.DoesNotContain("Cel", notConvertible);
        Assert.DoesNotContain("[degF]", notConvertible);
        Assert.DoesNotContain("[degRe]", notConvertible);
    }
}
