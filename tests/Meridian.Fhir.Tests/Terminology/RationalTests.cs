using System.Numerics;
using Meridian.Fhir.Terminology.Ucum;

namespace Meridian.Fhir.Tests.Terminology;

public class RationalTests
{
    private static Rational R(string text)
    {
        Assert.True(Rational.TryParse(text, out var r), text);
        return r;
    }

    [Theory]
    [InlineData("1e-24", 1, "1000000000000000000000000")]
    [InlineData("254e-2", 127, "50")]
    [InlineData("6.02214076", 150553519, "25000000")]
    [InlineData("-0.5", -1, "2")]
    public void Parses_decimal_literals_exactly(string text, long numerator, string denominator)
    {
        var r = R(text);
        Assert.Equal(new BigInteger(numerator), r.Numerator);
        Assert.Equal(BigInteger.Parse(denominator, System.Globalization.CultureInfo.InvariantCulture), r.Denominator);
    }

    [Theory]
    [InlineData("")]
    [InlineData("e5")]
    [InlineData("1.2.3")]
    [InlineData("1x")]
    public void Rejects_non_numbers(string text)
    {
        Assert.False(Rational.TryParse(text, out _));
    }

    [Fact]
    public void Rounds_to_the_nearest_decimal_and_drops_trailing_zeros()
    {
        Assert.True((Rational.One / Rational.FromInteger(3)).TryToDecimal(out var third));
        Assert.Equal(0.3333333333333333333333333333m, third);
        Assert.True((Rational.FromInteger(2) / Rational.FromInteger(3)).TryToDecimal(out var twoThirds));
        Assert.Equal(0.6666666666666666666666666667m, twoThirds);
        Assert.True(R("1.500").TryToDecimal(out var trimmed));
        Assert.Equal("1.5", trimmed.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Reports_values_outside_the_decimal_range()
    {
        Assert.False(R("1e29").TryToDecimal(out _));
        Assert.True(R("1e-40").TryToDecimal(out var tiny));
        Assert.Equal(0m, tiny);
        Assert.False(R("1e-40").TryToExactDecimal(out _));
        Assert.True(R("7.9e28").TryToDecimal(out var big));
        Assert.Equal(79_000_000_000_000_000_000_000_000_000m, big);
    }

    [Fact]
    public void Round_trips_decimals()
    {
        foreach (var d in new[] { 0m, 1m, -2.5m, 0.0000000000000000000000000001m, decimal.MaxValue, decimal.MinValue })
        {
            Assert.True(Rational.FromDecimal(d).TryToExactDecimal(out var back));
            Assert.Equal(d, back);
        }
    }
}
