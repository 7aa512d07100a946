using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class EscapingTests
{
    [Fact]
    public void Escaped_comma_is_not_an_or() =>
        Assert.Equal(P("family", new StringPredicate("Smith, Jr")), Filter("Patient", @"family=Smith\, Jr"));

    [Fact]
    public void Escaped_comma_next_to_a_real_comma() =>
        Assert.Equal(Or(P("family", new StringPredicate("a,b")), P("family", new StringPredicate("c"))), Filter("Patient", @"family=a\,b,c"));

    [Fact]
    public void Escaped_bar_stays_in_the_code() =>
        Assert.Equal(P("code", Token("http://s", "a|b")), Filter("Observation", @"code=http://s|a\|b"));

    [Fact]
    public void Escaped_bar_in_a_code_without_system() =>
        Assert.Equal(P("code", Token(null, "a|b")), Filter("Observation", @"code=a\|b"));

    [Fact]
    public void Escaped_dollar_stays_in_a_composite_component() =>
        Assert.Equal(new CompositePredicate([Token(null, "a$b"), Token(null, "c")]), Predicate("Observation", @"code-value-concept=a\$b$c"));

    [Fact]
    public void Escaped_backslash_before_a_separator_leaves_the_separator_active() =>
        // "a\\" is a value ending in one backslash; the comma after it separates.
        Assert.Equal(Or(P("family", new StringPredicate(@"a\")), P("family", new StringPredicate("b"))), Filter("Patient", @"family=a\\,b"));

    [Fact]
    public void Other_backslashes_are_kept_as_written() =>
        Assert.Equal(P("family", new StringPredicate(@"a\b")), Filter("Patient", @"family=a\b"));

    [Fact]
    public void Escaped_comma_in_an_id_list() =>
        Assert.Equal(new IdExpression(["a,b", "c"]), Filter("Patient", @"_id=a\,b,c"));

    [Fact]
    public void Escaped_bar_in_a_quantity_unit() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Eq, 1m, 0.5m, 1.5m, "http://s", "a|b"), Predicate("Observation", @"value-quantity=1|http://s|a\|b"));
}
