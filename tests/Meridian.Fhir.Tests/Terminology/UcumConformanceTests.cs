using System.Globalization;
using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>The official UCUM functional tests: every validation and conversion case.</summary>
public class UcumConformanceTests
{
    private static readonly UcumService s_ucum = UcumService.Default;

    public static TheoryData<string, string, bool> ValidationCases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var c in UcumFunctionalTestFile.Cases("validation"))
        {
            data.Add(UcumFunctionalTestFile.Attr(c, "id"), UcumFunctionalTestFile.Attr(c, "unit"), UcumFunctionalTestFile.Attr(c, "valid") == "true");
        }
        return data;
    }

    public static TheoryData<string, string, string, string, string> ConversionCases()
    {
        var data = new TheoryData<string, string, string, string, string>();
        foreach (var c in UcumFunctionalTestFile.Cases("conversion"))
        {
            data.Add(UcumFunctionalTestFile.Attr(c, "id"), UcumFunctionalTestFile.Attr(c, "value"),
                UcumFunctionalTestFile.Attr(c, "srcUnit"), UcumFunctionalTestFile.Attr(c, "dstUnit"), UcumFunctionalTestFile.Attr(c, "outcome"));
        }
        return data;
    }

    public static TheoryData<string, string, string> DisplayNameCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var c in UcumFunctionalTestFile.Cases("displayNameGeneration"))
        {
            data.Add(UcumFunctionalTestFile.Attr(c, "id"), UcumFunctionalTestFile.Attr(c, "unit"), UcumFunctionalTestFile.Attr(c, "display"));
        }
        return data;
    }

    public static TheoryData<string, string, string, string, string, string, string, bool> ArithmeticCases()
    {
        var data = new TheoryData<string, string, string, string, string, string, string, bool>();
        foreach (var section in new[] { "multiplication", "division" })
        {
            foreach (var c in UcumFunctionalTestFile.Cases(section))
            {
                data.Add(section + " " + UcumFunctionalTestFile.Attr(c, "id"),
                    UcumFunctionalTestFile.Attr(c, "v1"), UcumFunctionalTestFile.Attr(c, "u1"),
                    UcumFunctionalTestFile.Attr(c, "v2"), UcumFunctionalTestFile.Attr(c, "u2"),
                    UcumFunctionalTestFile.Attr(c, "vRes"), UcumFunctionalTestFile.Attr(c, "uRes"),
                    section == "division");
            }
        }
        return data;
    }

    [Fact]
    public void The_test_file_has_every_section()
    {
        Assert.Equal(529, UcumFunctionalTestFile.Cases("validation").Count());
        Assert.Equal(30, UcumFunctionalTestFile.Cases("conversion").Count());
        Assert.Equal(9, UcumFunctionalTestFile.Cases("displayNameGeneration").Count());
        Assert.Equal(2, UcumFunctionalTestFile.Cases("multiplication").Count());
        Assert.Equal(3, UcumFunctionalTestFile.Cases("division").Count());
    }

    [Theory]
    [MemberData(nameof(DisplayNameCases))]
    public void Display_name_case(string id, string unit, string display)
    {
        Assert.True(display == s_ucum.DisplayName(unit), $"{id}: '{unit}' gave '{s_ucum.DisplayName(unit)}', expected '{display}'");
    }

    /// <summary>
    /// The file only requires the result to be canonically equal to vRes uRes, so the product is
    /// converted to uRes and compared at vRes's precision. An empty uRes is the unity ("1").
    /// </summary>
    [Theory]
    [MemberData(nameof(ArithmeticCases))]
    public void Arithmetic_case(string id, string v1, string u1, string v2, string u2, string vRes, string uRes, bool divide)
    {
        var a = decimal.Parse(v1, CultureInfo.InvariantCulture);
        var b = decimal.Parse(v2, CultureInfo.InvariantCulture);
        var ok = divide
            ? s_ucum.TryDivide(a, u1, b, u2, out var value, out var unit)
            : s_ucum.TryMultiply(a, u1, b, u2, out value, out unit);
        Assert.True(ok, id);
        var target = uRes.Length == 0 ? "1" : uRes;
        Assert.True(s_ucum.TryConvert(value, unit, target, out var inTarget), $"{id}: {value} {unit} not convertible to {target}");
        Assert.True(UcumPrecision.AgreesTo(vRes, inTarget), $"{id}: got {inTarget} {target}, expected {vRes}");
    }

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public void Validation_case(string id, string unit, bool valid)
    {
        var error = s_ucum.Validate(unit);
        if (valid)
        {
            Assert.True(error is null, $"{id}: '{unit}' should be valid but: {error}");
        }
        else
        {
            Assert.True(error is not null, $"{id}: '{unit}' should be invalid");
        }
    }

    [Theory]
    [MemberData(nameof(ConversionCases))]
    public void Conversion_case(string id, string value, string srcUnit, string dstUnit, string outcome)
    {
        var input = decimal.Parse(value, CultureInfo.InvariantCulture);
        Assert.True(s_ucum.TryConvert(input, srcUnit, dstUnit, out var result), $"{id}: {srcUnit} -> {dstUnit} not convertible: {s_ucum.ConversionProblem(srcUnit) ?? s_ucum.ConversionProblem(dstUnit)}");
        Assert.True(UcumPrecision.AgreesTo(outcome, result), $"{id}: {value} {srcUnit} -> {result} {dstUnit}, expected {outcome}");
    }
}
