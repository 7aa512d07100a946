using Meridian.Fhir.Terminology;
using Meridian.Fhir.Terminology.Ucum;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>How the grammar splits symbols into prefix, atom, exponent, factor and annotation.</summary>
public class UcumParserTests
{
    private static UcumTerm Parse(string unit)
    {
        var analysis = UcumService.Default.Analyze(unit);
        Assert.Null(analysis.Error);
        var parsed = UcumService.Default.Essence.Parser.Parse(unit);
        return parsed.Term!;
    }

    [Theory]
    [InlineData("mm[Hg]", "m", "m[Hg]", 1)]
    [InlineData("dam", "da", "m", 1)]
    [InlineData("cd", null, "cd", 1)]
    [InlineData("Pa", null, "Pa", 1)]
    [InlineData("10*-3", null, "10*", -3)]
    [InlineData("10^3", null, "10^", 3)]
    [InlineData("10*+3", null, "10*", 3)]
    [InlineData("cm2", "c", "m", 2)]
    [InlineData("s-1", null, "s", -1)]
    [InlineData("dB[10.nV]", "d", "B[10.nV]", 1)]
    [InlineData("m[iU]", "m", "[iU]", 1)]
    [InlineData("[m/s2/Hz^(1/2)]", null, "[m/s2/Hz^(1/2)]", 1)]
    [InlineData("kg{body_wt}", "k", "g", 1)]
    public void Splits_a_simple_unit(string unit, string? prefix, string atom, int exponent)
    {
        var term = Parse(unit);
        var only = Assert.Single(term.Parts);
        var component = Assert.IsType<UcumUnitComponent>(only.Component);
        Assert.Equal(prefix, component.Prefix?.Code);
        Assert.Equal(atom, component.Atom.Code);
        Assert.Equal(exponent, component.Exponent);
    }

    [Fact]
    public void Reads_operators_left_to_right_with_groups_and_leading_division()
    {
        var term = Parse("/(8.h.kg)");
        var group = Assert.IsType<UcumGroupComponent>(Assert.Single(term.Parts).Component);
        Assert.True(term.Parts[0].Divide);
        Assert.Equal(3, group.Term.Parts.Length);
        Assert.IsType<UcumFactorComponent>(group.Term.Parts[0].Component);

        var chain = Parse("s/m.mg");
        Assert.Equal([false, true, false], chain.Parts.Select(p => p.Divide));
    }

    [Fact]
    public void An_annotation_alone_is_the_unity()
    {
        var term = Parse("{cells}/uL");
        Assert.Equal("{cells}", Assert.IsType<UcumUnityComponent>(term.Parts[0].Component).Annotation);
    }

    [Theory]
    [InlineData("[lb_av]2", true)]
    [InlineData("k[lb_av]", false)]
    [InlineData("m[IU]/L", true)]
    [InlineData("k[arb'U]", false)]
    [InlineData("mCel", true)]
    [InlineData("k%", false)]
    [InlineData("Kib", false)]
    [InlineData("Kibit", true)]
    public void Only_metric_units_take_prefixes(string unit, bool valid)
    {
        Assert.Equal(valid, UcumService.Default.Validate(unit) is null);
    }
}
