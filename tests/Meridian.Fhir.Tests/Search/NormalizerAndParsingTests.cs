using Meridian.Fhir.Search;
using Meridian.Fhir.Search.Internal;

namespace Meridian.Fhir.Tests.Search;

public class NormalizerAndParsingTests
{
    [Theory]
    [InlineData("Chalmers", "chalmers")]
    [InlineData("chalmers", "chalmers")]
    [InlineData("  Jean-Frédéric   Gaëlle ", "jean-frederic gaelle")]
    [InlineData("Ångström", "angstrom")]
    [InlineData("Straße", "strasse")]
    [InlineData("Łódź Øre", "lodz ore")]
    [InlineData("Nguyễn", "nguyen")]
    [InlineData("Cafe\u0301", "cafe")] // already decomposed: combining acute dropped
    [InlineData("ΆΛΦΑ", "αλφα")]
    [InlineData("Tab\tand\nnewline", "tab and newline")]
    [InlineData("", "")]
    public void Normalize_removes_accents_case_and_extra_whitespace(string input, string expected) =>
        Assert.Equal(expected, StringNormalizer.Normalize(input));

    [Fact]
    public void Normal_ascii_is_returned_without_copying()
    {
        var s = "already normal";
        Assert.Same(s, StringNormalizer.Normalize(s));
    }

    [Theory]
    [InlineData("2020", "2020-01-01T00:00:00.0000000+00:00", "2020-12-31T23:59:59.9999999+00:00")]
    [InlineData("2020-02", "2020-02-01T00:00:00.0000000+00:00", "2020-02-29T23:59:59.9999999+00:00")]
    [InlineData("1974-12-25", "1974-12-25T00:00:00.0000000+00:00", "1974-12-25T23:59:59.9999999+00:00")]
    [InlineData("2015-02-07T13:28:17-05:00", "2015-02-07T18:28:17.0000000+00:00", "2015-02-07T18:28:17.9999999+00:00")]
    [InlineData("2015-02-07T13:28:17.239+02:00", "2015-02-07T11:28:17.2390000+00:00", "2015-02-07T11:28:17.2399999+00:00")]
    [InlineData("2015-02-07T13:28", "2015-02-07T13:28:00.0000000+00:00", "2015-02-07T13:28:59.9999999+00:00")]
    [InlineData("9999", "9999-01-01T00:00:00.0000000+00:00", "9999-12-31T23:59:59.9999999+00:00")]
    public void Dates_become_ranges_by_precision(string text, string low, string high)
    {
        Assert.True(FhirDates.TryParseRange(text, out var l, out var h));
        Assert.Equal(low, l.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(high, h.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("20")]
    [InlineData("2020-13")]
    [InlineData("2021-02-29")]
    [InlineData("2020-01-01T25:00:00Z")]
    [InlineData("2020-01-01Z")]
    [InlineData("not a date")]
    public void Invalid_dates_are_rejected_without_exceptions(string text) =>
        Assert.False(FhirDates.TryParseRange(text, out _, out _));

    [Theory]
    [InlineData("100", 99.5, 100.5)]
    [InlineData("1.50", 1.495, 1.505)]
    [InlineData("0.02", 0.015, 0.025)]
    [InlineData("-3", -3.5, -2.5)]
    public void Decimals_imply_a_range_from_their_precision(string text, double low, double high)
    {
        Assert.True(FhirDecimals.TryParse(text, out var v));
        var (l, h) = FhirDecimals.ImpliedRange(v);
        Assert.Equal((decimal)low, l);
        Assert.Equal((decimal)high, h);
    }
}
