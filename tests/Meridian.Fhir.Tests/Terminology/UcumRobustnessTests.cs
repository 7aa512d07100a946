using System.Text;
using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>Malformed and extreme input gives answers, never exceptions.</summary>
public class UcumRobustnessTests
{
    private static readonly string[] s_pieces =
        ["m", "g", "s", "L", "k", "10*", "10^", "/", ".", "(", ")", "{x}", "[in_i]", "[lb_av]", "Cel", "[degF]", "[pH]",
         "2", "-1", "+3", "Y", "y", "[IU]", "%", "mm[Hg]", "dB", "0", "99999", "*", "^", "[", "]", "{", "}", " ", "µ"];

    [Fact]
    public void Random_unit_strings_never_throw()
    {
        var ucum = UcumService.Default;
        var random = new Random(20260101);
        var valid = 0;
        for (var i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            for (var j = random.Next(1, 7); j > 0; j--)
            {
                sb.Append(s_pieces[random.Next(s_pieces.Length)]);
            }
            var unit = sb.ToString();
            var error = ucum.Validate(unit);
            if (error is null)
            {
                valid++;
                var canonical = ucum.TryCanonicalize(123.456m, unit, out _, out var canonicalUnit);
                Assert.True(canonical == (canonicalUnit.Length > 0), unit);
                Assert.True(canonical || ucum.ConversionProblem(unit) is not null, unit);
                ucum.TryConvert(7.89m, unit, "m", out _);
                ucum.TryDivide(1m, unit, 0m, unit, out _, out _);
                Assert.NotNull(ucum.DisplayName(unit));
            }
            else
            {
                Assert.NotEmpty(error);
                Assert.False(ucum.TryCanonicalize(1m, unit, out _, out _));
            }
        }
        Assert.InRange(valid, 100, 2900);
    }

    [Fact]
    public void Deep_nesting_and_huge_exponents_are_rejected_or_flagged()
    {
        var ucum = UcumService.Default;
        Assert.NotNull(ucum.Validate(new string('(', 100) + "m" + new string(')', 100)));
        Assert.NotNull(ucum.Validate("m99999999999"));
        Assert.Null(ucum.Validate("m999"));
        Assert.False(ucum.TryCanonicalize(1m, "m999", out _, out _));
    }
}
