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

    [Fact]
    public void The_test_file_has_every_section()
    {
        Assert.Equal(529, UcumFunctionalTestFile.Cases("validation").Count());
        Assert.Equal(30, UcumFunctionalTestFile.Cases("conversion").Count());
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
