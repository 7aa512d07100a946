using Meridian.Fhir.Specification;
using Meridian.Storage.Postgres;
using Meridian.Storage.Relational;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Sqlite;

namespace Meridian.Storage.Tests.Relational;

/// <summary>The SQL each generator writes, per dialect, without a database.</summary>
public sealed class SearchSqlGeneratorTests
{
    private static readonly DateTimeOffset s_now = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static SqlStatement Page(SqlDialect dialect, SearchQuery query) =>
        new SearchSqlGenerator(dialect).Page("t1", query, offset: 0, limit: 10, s_now);

    private static SqlStatement Sqlite(string type, SearchExpression filter) => Page(SqliteDialect.Instance, new SearchQuery(type, filter));

    /// <summary>The text with each @pN replaced by its value, for readable assertions.</summary>
    private static string Inline(SqlStatement s)
    {
        var text = s.Text;
        for (var i = s.Values.Count - 1; i >= 0; i--)
        {
            var v = s.Values[i] switch
            {
                null => "NULL",
                string str => "'" + str + "'",
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                var o => o.ToString(),
            };
            text = text.Replace("@p" + i, v, StringComparison.Ordinal);
        }
        return text;
    }

    [Fact]
    public void Token_system_and_code_filter_the_token_table()
    {
        var sql = Inline(Sqlite("Observation", new ParameterExpression("code", new TokenPredicate("http://loinc.org", "29463-7"))));
        Assert.Contains("SELECT i.resource_key FROM token_index i WHERE i.tenant = 't1' AND i.type = 'Observation' AND i.param = 'code' AND (i.code = '29463-7' AND i.system = 'http://loinc.org')", sql);
        Assert.Contains("r.is_current = 1 AND r.deleted = 0", sql);
    }

    [Fact]
    public void Token_without_system_and_not()
    {
        var noSystem = Inline(Sqlite("Patient", new ParameterExpression("gender", new TokenPredicate("", "male"))));
        Assert.Contains("i.code = 'male' AND i.system IS NULL", noSystem);
        var not = Inline(Sqlite("Patient", new NotExpression(new ParameterExpression("gender", new TokenPredicate(null, "male")))));
        Assert.Contains("NOT (EXISTS (SELECT 1 FROM token_index p WHERE p.resource_key = r.resource_key AND p.param = 'gender'", not);
        var text = Inline(Sqlite("Observation", new ParameterExpression("code", new TokenPredicate(null, "Body Wéight") { Match = TokenMatch.Text })));
        Assert.Contains("i.text_norm >= 'body weight' AND i.text_norm < 'body weight", text);
    }

    [Fact]
    public void String_prefix_is_an_index_range_and_contains_escapes_like_wildcards()
    {
        var prefix = Sqlite("Patient", new ParameterExpression("family", new StringPredicate("Chal")));
        Assert.Contains("i.norm >= @", prefix.Text);
        Assert.Contains("chal", prefix.Values);
        Assert.Contains("chal" + char.ConvertFromUtf32(0x10FFFF), prefix.Values);
        var contains = Sqlite("Patient", new ParameterExpression("family", new StringPredicate("50%_x", StringMatch.Contains)));
        Assert.Contains("p.norm LIKE @", contains.Text);
        Assert.Contains("ESCAPE '\\'", contains.Text);
        Assert.Contains("%50\\%\\_x%", contains.Values);
        var exact = Inline(Sqlite("Patient", new ParameterExpression("family", new StringPredicate("Chalmers", StringMatch.Exact))));
        Assert.Contains("i.value = 'Chalmers'", exact);
    }

    [Theory]
    [InlineData(SearchPrefix.Eq, "(i.low >= {L} AND i.high <= {H})")]
    [InlineData(SearchPrefix.Ne, "NOT (i.low >= {L} AND i.high <= {H})")]
    [InlineData(SearchPrefix.Gt, "i.high > {H}")]
    [InlineData(SearchPrefix.Lt, "i.low < {L}")]
    [InlineData(SearchPrefix.Sa, "i.low > {H}")]
    [InlineData(SearchPrefix.Eb, "i.high < {L}")]
    public void Date_prefixes_compare_ranges(SearchPrefix prefix, string expected)
    {
        var low = new DateTimeOffset(2016, 3, 28, 0, 0, 0, TimeSpan.Zero);
        var high = low.AddDays(1).AddTicks(-1);
        var sql = Inline(Sqlite("Observation", new ParameterExpression("date", new DatePredicate(prefix, low, high))));
        // eq drives the page (alias i); the one-sided prefixes are probes (alias p).
        var alias = prefix == SearchPrefix.Eq ? "i" : "p";
        expected = expected.Replace("i.", alias + ".", StringComparison.Ordinal);
        Assert.Contains(expected.Replace("{L}", low.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("{H}", high.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)), sql);
        Assert.Contains("FROM date_index " + alias, sql);
    }

    [Fact]
    public void Quantity_uses_canonical_columns_when_the_unit_converts()
    {
        var canonical = Inline(Sqlite("Observation", new ParameterExpression("value-quantity", Predicates.Quantity(SearchPrefix.Gt, 80m, Predicates.Ucum, "kg"))));
        Assert.Contains("i.canonical_unit = 'g' AND (i.canonical_high IS NULL OR i.canonical_high > 80000)", canonical);
        var raw = Inline(Sqlite("Observation", new ParameterExpression("value-quantity", new QuantityPredicate(SearchPrefix.Lt, 5m, 4.5m, 5.5m, null, "lbs"))));
        Assert.Contains("(i.code = 'lbs' OR i.unit = 'lbs') AND (i.low IS NULL OR i.low < 5)", raw);
    }

    [Fact]
    public void Decimals_bind_as_double_on_sqlite_and_numeric_on_postgres()
    {
        var filter = new ParameterExpression("probability", Predicates.Number(SearchPrefix.Gt, 0.5m));
        Assert.Contains(0.5d, Page(SqliteDialect.Instance, new SearchQuery("RiskAssessment", filter)).Values);
        var pg = Page(PostgresDialect.Instance, new SearchQuery("RiskAssessment", filter));
        Assert.Contains(0.5m, pg.Values);
        Assert.Contains("r.is_current = true AND r.deleted = false", pg.Text);
    }

    [Fact]
    public void Composite_components_use_their_own_columns_of_one_row()
    {
        var sql = Inline(Sqlite("Observation", new ParameterExpression("component-code-value-quantity",
            new CompositePredicate([new TokenPredicate("http://loinc.org", "8480-6"), Predicates.Quantity(SearchPrefix.Gt, 100m, Predicates.Ucum, "mm[Hg]")]))));
        Assert.Contains("FROM composite_index i", sql);
        Assert.Contains("(i.c1_code = '8480-6' AND i.c1_system = 'http://loinc.org') AND (i.c2_code = ", sql);
        Assert.Contains("i.c2_high > ", sql);
    }

    [Fact]
    public void Uri_below_and_above()
    {
        var above = Inline(Sqlite("ValueSet", new ParameterExpression("url", new UriPredicate("http://a/b/c", UriMatch.Above))));
        Assert.Contains("p.uri <= 'http://a/b/c' AND substr('http://a/b/c', 1, length(p.uri)) = p.uri", above);
        var below = Inline(Sqlite("ValueSet", new ParameterExpression("url", new UriPredicate("http://a/", UriMatch.Below))));
        Assert.Contains("i.uri >= 'http://a/' AND i.uri < 'http://a/", below);
    }

    [Fact]
    public void Chains_nest_with_fresh_aliases_and_has_correlates_on_id()
    {
        var chain = Inline(Sqlite("Observation", new ChainedExpression("subject", "Patient",
            new ChainedExpression("organization", "Organization", new ParameterExpression("name", new StringPredicate("gastro"))))));
        Assert.Contains("FROM reference_index ri1 JOIN resources t1 ON t1.tenant = ri1.tenant AND t1.type = ri1.ref_type AND t1.id = ri1.ref_id", chain);
        Assert.Contains("ri1.param = 'subject' AND ri1.ref_type = 'Patient'", chain);
        Assert.Contains("t1.resource_key IN (SELECT ri2.resource_key FROM reference_index ri2 JOIN resources t2", chain);
        Assert.Contains("t2.resource_key IN (SELECT i.resource_key FROM string_index i WHERE i.tenant = 't1' AND i.type = 'Organization' AND i.param = 'name'", chain);
        var has = Inline(Sqlite("Patient", new ReverseChainedExpression("Observation", "subject", new ParameterExpression("code", new TokenPredicate(null, "1234")))));
        Assert.Contains("EXISTS (SELECT 1 FROM reference_index ri1 JOIN resources s1 ON s1.resource_key = ri1.resource_key", has);
        Assert.Contains("ri1.ref_type = 'Patient' AND ri1.ref_id = r.id AND ri1.param = 'subject' AND ri1.type = 'Observation'", has);
        Assert.Contains("EXISTS (SELECT 1 FROM token_index p WHERE p.resource_key = s1.resource_key AND p.param = 'code'", has);
    }

    [Fact]
    public void Sort_and_paging_are_total_and_fetch_one_extra_row()
    {
        var q = new SearchQuery("Patient") { Sort = [new SortKey("birthdate", SearchParamType.Date, Descending: true), new SortKey("_id", SearchParamType.Token)] };
        var sql = Inline(new SearchSqlGenerator(SqliteDialect.Instance).Page("t1", q, offset: 20, limit: 10, s_now));
        Assert.Contains("ORDER BY (SELECT max(o.high) FROM date_index o WHERE o.resource_key = r.resource_key AND o.param = 'birthdate') DESC NULLS LAST, r.id ASC, r.resource_key LIMIT 11 OFFSET 20", sql);
    }

    [Fact]
    public void Missing_and_or_and_id()
    {
        var sql = Inline(Sqlite("Patient", new AndExpression([
            new MissingExpression("birthdate", SearchParamType.Date, true),
            new OrExpression([new IdExpression(["a", "b"]), new LastUpdatedExpression(new DatePredicate(SearchPrefix.Gt, s_now, s_now))]),
        ])));
        Assert.Contains("(NOT EXISTS (SELECT 1 FROM date_index p WHERE p.resource_key = r.resource_key AND p.param = 'birthdate') AND (r.id IN ('a', 'b') OR r.last_updated > ", sql);
    }

    [Fact]
    public void Include_is_one_statement_for_the_whole_page()
    {
        var sql = Inline(new SearchSqlGenerator(SqliteDialect.Instance).Include("t1", new IncludeDescriptor("Observation", "subject", "Patient"), [1L, 2L, 3L]));
        Assert.Contains("ri.resource_key IN (1, 2, 3) AND ri.param = 'subject' AND ri.tenant = 't1' AND ri.type = 'Observation' AND ri.ref_type = 'Patient'", sql);
        Assert.DoesNotContain("DISTINCT t.", sql);
        var rev = Inline(new SearchSqlGenerator(SqliteDialect.Instance).RevInclude("t1", new IncludeDescriptor("Observation", "subject"), [("Patient", "a"), ("Patient", "b")]));
        Assert.Contains("((ri.ref_type = 'Patient' AND ri.ref_id = 'a') OR (ri.ref_type = 'Patient' AND ri.ref_id = 'b'))", rev);
    }
}
