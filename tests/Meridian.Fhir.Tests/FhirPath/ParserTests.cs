using Meridian.Fhir.FhirPath;

namespace Meridian.Fhir.Tests.FhirPath;

public sealed class ParserTests
{
    /// <summary>Renders the tree fully parenthesised so precedence is visible in one string.</summary>
    private static string Show(AstNode n) => n switch
    {
        LiteralNode { Value: null } => "{}",
        LiteralNode { Value: string s } => $"'{s}'",
        LiteralNode { Value: bool b } => b ? "true" : "false",
        LiteralNode l => $"{l.Value}:{l.Value!.GetType().Name}",
        MemberNode { Source: null } m => m.Name,
        MemberNode m => $"{Show(m.Source!)}.{m.Name}",
        FunctionNode f => $"{(f.Source is null ? "" : Show(f.Source) + ".")}{f.Name}({string.Join(", ", f.Arguments.Select(Show))})",
        IndexerNode i => $"{Show(i.Source)}[{Show(i.Index)}]",
        UnaryNode u => $"({u.Operator}{Show(u.Operand)})",
        BinaryNode b => $"({Show(b.Left)} {b.Operator} {Show(b.Right)})",
        TypeOperatorNode t => $"({Show(t.Operand)} {t.Operator} {t.TypeName})",
        VariableNode v => "$" + v.Name,
        ConstantNode c => "%" + c.Name,
        _ => "?",
    };

    [Theory]
    [InlineData("1 + 2 * 3", "(1:Int64 + (2:Int64 * 3:Int64))")]
    [InlineData("1 * 2 + 3", "((1:Int64 * 2:Int64) + 3:Int64)")]
    [InlineData("a or b and c", "(a or (b and c))")]
    [InlineData("a implies b implies c", "(a implies (b implies c))")]
    [InlineData("a xor b or c", "((a xor b) or c)")]
    [InlineData("a = b and c != d", "((a = b) and (c != d))")]
    [InlineData("a | b = c", "((a | b) = c)")]
    [InlineData("1 > 2 is Boolean", "(1:Int64 > (2:Int64 is Boolean))")]
    [InlineData("a + b is Integer", "((a + b) is Integer)")]
    [InlineData("x in y and z contains w", "((x in y) and (z contains w))")]
    [InlineData("a < b = c >= d", "((a < b) = (c >= d))")]
    [InlineData("-1.convertsToInteger()", "(-1:Int64.convertsToInteger())")]
    [InlineData("-5", "-5:Int64")]
    [InlineData("-x.y", "(-x.y)")]
    [InlineData("a.b[0].c", "a.b[0:Int64].c")]
    [InlineData("a & b - c", "((a & b) - c)")]
    [InlineData("a div b mod c", "((a div b) mod c)")]
    [InlineData("Observation.value as Quantity > 5 'mg'", "((Observation.value as Quantity) > 5 'mg':FhirPathQuantity)")]
    [InlineData("name.where($this.given.exists()).select(given | family)", "name.where($this.given.exists()).select((given | family))")]
    [InlineData("`div`.`given name`", "div.given name")]
    [InlineData("%`vs-x` = %'ext-y'", "(%vs-x = %ext-y)")]
    [InlineData("$index + $total", "($index + $total)")]
    [InlineData("a.is(FHIR.Patient)", "a.is(FHIR.Patient)")]
    [InlineData("expansion.contains.where(contains.exists()) contains x", "(expansion.contains.where(contains.exists()) contains x)")]
    [InlineData("text.div.exists() and div", "(text.div.exists() and div)")]
    public void Precedence_and_shape_follow_the_grammar(string expression, string expected)
    {
        Assert.Equal(expected, Show(FhirPathParser.Parse(expression)));
    }

    [Theory]
    [InlineData("'a\\'b'", "a'b")]
    [InlineData("'tab\\there'", "tab\there")]
    [InlineData("'\\u00e9t\\u00E9'", "été")]
    [InlineData("'back\\\\slash'", "back\\slash")]
    [InlineData("'line\\nbreak'", "line\nbreak")]
    public void String_escapes_are_decoded(string expression, string expected)
    {
        Assert.Equal(expected, Assert.IsType<LiteralNode>(FhirPathParser.Parse(expression)).Value);
    }

    [Fact]
    public void Literals_have_system_types_and_precision()
    {
        Assert.Equal(42L, Literal("42"));
        Assert.Equal(1.50m, Literal("1.50"));
        Assert.Equal("1.50", ((decimal)Literal("1.50")).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(7L, Literal("7L"));
        Assert.Equal(new FhirPathQuantity(4m, "mg"), Literal("4 'mg'"));
        Assert.Equal(new FhirPathQuantity(4m, "days"), Literal("4 days"));
        Assert.True(new FhirPathQuantity(4m, "days").IsCalendarDuration);

        var date = Assert.IsType<FhirPathDate>(Literal("@2015-02"));
        Assert.Equal(DateTimePrecision.Month, date.Precision);
        var dt = Assert.IsType<FhirPathDateTime>(Literal("@2015-02-04T14:34:28Z"));
        Assert.Equal(DateTimePrecision.Second, dt.Precision);
        Assert.Equal(TimeSpan.Zero, dt.Offset);
        Assert.Equal("2015-02-04T14:34:28.123+10:00", Literal("@2015-02-04T14:34:28.123+10:00").ToString());
        var partial = Assert.IsType<FhirPathDateTime>(Literal("@2015T"));
        Assert.Equal(DateTimePrecision.Year, partial.Precision);
        var time = Assert.IsType<FhirPathTime>(Literal("@T14:34"));
        Assert.Equal(DateTimePrecision.Minute, time.Precision);
        Assert.Null(Assert.IsType<LiteralNode>(FhirPathParser.Parse("{}")).Value);
    }

    private static object Literal(string expression) => Assert.IsType<LiteralNode>(FhirPathParser.Parse(expression)).Value!;

    [Fact]
    public void Date_literal_followed_by_an_operator_is_not_an_offset()
    {
        Assert.Equal("(2015-02-04:FhirPathDate - 1 day:FhirPathQuantity)", Show(FhirPathParser.Parse("@2015-02-04 - 1 'day'")));
        Assert.Equal("(2015-02-04:FhirPathDate-1:Int64)".Replace("-1", " - 1", StringComparison.Ordinal), Show(FhirPathParser.Parse("@2015-02-04-1")));
        Assert.Equal(TimeSpan.FromHours(-5), Assert.IsType<FhirPathDateTime>(Literal("@2015-02-04T10:00:00-05:00")).Offset);
    }

    [Fact]
    public void Comments_are_ignored()
    {
        Assert.Equal("(2:Int64 + 2:Int64)", Show(FhirPathParser.Parse("2 + // line\n /* block */ 2")));
    }

    [Theory]
    [InlineData("2 + 2 /", 7)]
    [InlineData("2 + 2 /* not finished", 6)]
    [InlineData("name.", 5)]
    [InlineData("name.where(given", 16)]
    [InlineData("'unterminated", 0)]
    [InlineData("a ! b", 2)]
    [InlineData("@2015-13-01", 0)]
    [InlineData("(1 + 2", 6)]
    [InlineData("1 2", 2)]
    [InlineData("", 0)]
    public void Syntax_errors_report_their_position(string expression, int position)
    {
        var e = Assert.Throws<FhirPathException>(() => FhirPathParser.Parse(expression));
        Assert.Equal(position, e.Position);
    }

    [Fact]
    public void Compile_reports_semantic_errors_with_position()
    {
        var engine = FhirPathEngine.R4;
        var unknownFunction = Assert.Throws<FhirPathException>(() => engine.Compile("name.frobnicate()"));
        Assert.Equal(5, unknownFunction.Position);
        var arity = Assert.Throws<FhirPathException>(() => engine.Compile("name.where()"));
        Assert.Equal(5, arity.Position);
        var unknownType = Assert.Throws<FhirPathException>(() => engine.Compile("gender.ofType(string1)"));
        Assert.Equal(14, unknownType.Position);
        var wrongElement = Assert.Throws<FhirPathException>(() => engine.Compile("Observation.valueQuantity.unit"));
        Assert.Equal(12, wrongElement.Position);
        var typed = Assert.Throws<FhirPathException>(() => engine.Compile("name.given1", "Patient"));
        Assert.Equal(5, typed.Position);
        Assert.Throws<FhirPathException>(() => engine.Compile("Encounter.status", "Patient"));
        var ordered = Assert.Throws<FhirPathException>(() => engine.Compile("Patient.children().skip(1)", "Patient"));
        Assert.Equal(19, ordered.Position);
        Assert.True(engine.TryCompile("Patient.children().skip(1)", out _, out _));
        Assert.False(engine.TryCompile("(Observation.value as Period).unit", out var none, out var error));
        Assert.Null(none);
        Assert.Contains("unit", error, StringComparison.Ordinal);
    }
}
