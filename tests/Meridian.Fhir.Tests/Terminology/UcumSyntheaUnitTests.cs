using Meridian.Fhir.Terminology;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>Every UCUM code used by Observation values in the shared Synthea data.</summary>
public class UcumSyntheaUnitTests
{
    // "(score)" is what Synthea writes for some survey scores; parentheses must hold a unit term
    // and "score" is not a UCUM atom, so it is genuinely invalid ("{score}" would be right).
    private static readonly HashSet<string> s_genuinelyInvalid = new(StringComparer.Ordinal) { "(score)" };

    public static TheoryData<string> UnitCodes()
    {
        var data = new TheoryData<string>();
        var lines = File.ReadAllLines(SharedData.PathOf("terminology", "loinc-observation-units-in-shared-synthea.csv"));
        var header = lines[0].Split(',');
        var system = Array.IndexOf(header, "quantity_system");
        var code = Array.IndexOf(header, "quantity_code");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            // Displays may contain commas in quotes; the unit columns are the last four, so count from the end.
            var cells = line.Split(',');
            var offset = cells.Length - header.Length;
            if (cells[system + offset] == "http://unitsofmeasure.org" && seen.Add(cells[code + offset]))
            {
                data.Add(cells[code + offset]);
            }
        }
        return data;
    }

    [Fact]
    public void The_data_has_units()
    {
        Assert.True(UnitCodes().Count >= 20);
    }

    [Theory]
    [MemberData(nameof(UnitCodes))]
    public void Synthea_unit_is_valid_ucum_unless_genuinely_invalid(string unit)
    {
        var error = UcumService.Default.Validate(unit);
        if (s_genuinelyInvalid.Contains(unit))
        {
            Assert.NotNull(error);
        }
        else
        {
            Assert.True(error is null, $"'{unit}': {error}");
            Assert.True(UcumService.Default.TryCanonicalize(1m, unit, out _, out _), UcumService.Default.ConversionProblem(unit));
        }
    }
}
