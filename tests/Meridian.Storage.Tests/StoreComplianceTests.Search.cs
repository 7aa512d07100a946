using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;
using static Meridian.Storage.Tests.Support.RawExamples;

namespace Meridian.Storage.Tests;

/// <summary>Search over the official examples, indexed by the real SearchIndexer. Expected
/// answers come from the raw JSON (independent of indexer and SQL) where practical.</summary>
public abstract partial class StoreComplianceTests
{
    private static readonly string s_maxChar = char.ConvertFromUtf32(0x10FFFF);

    private async Task<HashSet<string>> FindAsync(string? type, SearchExpression? filter)
    {
        var tenant = await Fixture.ExamplesAsync();
        var result = await Store.SearchAsync(tenant, new SearchQuery(type, filter) { Count = 1000 });
        Assert.Null(result.NextCursor);
        return [.. result.Matches.Select(m => $"{m.Type}/{m.Id}")];
    }

    private static ParameterExpression P(string code, ValuePredicate predicate) => new(code, predicate);

    private static DatePredicate Day(SearchPrefix prefix, int y, int m, int d)
    {
        var low = new DateTimeOffset(y, m, d, 0, 0, 0, TimeSpan.Zero);
        return new DatePredicate(prefix, low, low.AddDays(1).AddTicks(-1));
    }

    [Fact]
    public async Task Examples_load_in_one_batch_and_are_all_searchable()
    {
        var tenant = await Fixture.ExamplesAsync();
        Assert.Equal(Examples.All.Length, Fixture.ExamplesResult!.Results.Length);
        var all = await Store.SearchAsync(tenant, new SearchQuery(null) { Count = 0, Total = TotalMode.Accurate });
        Assert.Equal(Examples.All.Select(o => (o.Type, o.Id)).Distinct().Count(), all.Total);
        var patients = await Store.SearchAsync(tenant, new SearchQuery("Patient") { Count = 0, Total = TotalMode.Accurate });
        Assert.Equal(Where("Patient", _ => true).Count, patients.Total);
    }

    [Fact]
    public async Task String_search_starts_with_exact_and_contains()
    {
        var expected = Where("Patient", p => Array(p, "name").Any(n => Str(n, "family")?.StartsWith("chal", StringComparison.OrdinalIgnoreCase) == true));
        Assert.Contains("Patient/example", expected);
        Assert.Equal(expected, await FindAsync("Patient", P("family", new StringPredicate("Chal"))));
        Assert.Contains("Patient/example", await FindAsync("Patient", P("family", new StringPredicate("Chalmers", StringMatch.Exact))));
        Assert.DoesNotContain("Patient/example", await FindAsync("Patient", P("family", new StringPredicate("chalmers", StringMatch.Exact))));
        Assert.Contains("Patient/example", await FindAsync("Patient", P("family", new StringPredicate("ALM", StringMatch.Contains))));
        Assert.DoesNotContain("Patient/example", await FindAsync("Patient", P("family", new StringPredicate("xyz", StringMatch.Contains))));
    }

    [Fact]
    public async Task Token_search_system_code_not_text_and_of_type()
    {
        static bool HasLoinc(System.Text.Json.JsonElement o, string code) =>
            Array(Obj(o, "code"), "coding").Any(c => Str(c, "system") == "http://loinc.org" && Str(c, "code") == code);
        var expected = Where("Observation", o => HasLoinc(o, "29463-7"));
        Assert.Contains("Observation/example", expected);
        Assert.Equal(expected, await FindAsync("Observation", P("code", new TokenPredicate("http://loinc.org", "29463-7"))));
        Assert.Equal(expected, await FindAsync("Observation", P("code", new TokenPredicate(null, "29463-7"))));
        Assert.Empty(await FindAsync("Observation", P("code", new TokenPredicate("", "29463-7"))));
        var everyObservation = Where("Observation", _ => true);
        var not = await FindAsync("Observation", new NotExpression(P("code", new TokenPredicate("http://loinc.org", "29463-7"))));
        Assert.Equal(everyObservation.Except(expected).ToHashSet(), not);
        Assert.Contains("Observation/example", await FindAsync("Observation", P("code", new TokenPredicate(null, "body wei") { Match = TokenMatch.Text })));
        Assert.Contains("Patient/example", await FindAsync("Patient", P("identifier", new TokenPredicate(null, "12345")
        {
            Match = TokenMatch.OfType, TypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203", TypeCode = "MR",
        })));
        var male = Where("Patient", p => Str(p, "gender") == "male");
        Assert.Equal(male, await FindAsync("Patient", P("gender", new TokenPredicate(null, "male"))));
        var either = await FindAsync("Patient", new OrExpression([P("gender", new TokenPredicate(null, "male")), P("gender", new TokenPredicate(null, "female"))]));
        Assert.Equal(Where("Patient", p => Str(p, "gender") is "male" or "female"), either);
    }

    [Fact]
    public async Task Reference_search_by_type_and_id()
    {
        var expected = Where("Observation", o => Str(Obj(o, "subject"), "reference") == "Patient/example");
        Assert.True(expected.Count > 3);
        Assert.Equal(expected, await FindAsync("Observation", P("subject", new ReferencePredicate("Patient", "example"))));
        Assert.Equal(expected, await FindAsync("Observation", P("subject", new ReferencePredicate(null, "example"))));
        Assert.Empty(await FindAsync("Observation", P("subject", new ReferencePredicate("Group", "example"))));
    }

    [Fact]
    public async Task Date_search_prefixes_over_ranges()
    {
        var born = Where("Patient", p => Str(p, "birthDate") == "1974-12-25");
        Assert.Equal(born, await FindAsync("Patient", P("birthdate", Day(SearchPrefix.Eq, 1974, 12, 25))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Eq, 2016, 3, 28))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Ge, 2016, 3, 28))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Le, 2016, 3, 28))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Gt, 2016, 3, 27))));
        Assert.DoesNotContain("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Gt, 2016, 3, 28))));
        Assert.DoesNotContain("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Lt, 2016, 3, 28))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Sa, 2016, 3, 27))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Eb, 2016, 3, 29))));
        Assert.DoesNotContain("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Ne, 2016, 3, 28))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", Day(SearchPrefix.Ap, 2016, 3, 20))));
        var year = new DatePredicate(SearchPrefix.Eq, new DateTimeOffset(2016, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2016, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("date", year)));
    }

    [Fact]
    public async Task Number_search()
    {
        Assert.Equal(["RiskAssessment/cardiac"], await FindAsync("RiskAssessment", P("probability", Predicates.Number(SearchPrefix.Eq, 0.02m))));
        Assert.Equal(["RiskAssessment/cardiac"], await FindAsync("RiskAssessment", P("probability", Predicates.Number(SearchPrefix.Gt, 0.01m))));
        var small = await FindAsync("RiskAssessment", P("probability", Predicates.Number(SearchPrefix.Lt, 0.001m)));
        Assert.Contains("RiskAssessment/genetic", small);
        Assert.Contains("RiskAssessment/riskexample", small);
        Assert.DoesNotContain("RiskAssessment/cardiac", small);
    }

    [Fact]
    public async Task Quantity_search_with_ucum_canonical_comparison()
    {
        const string ucum = Predicates.Ucum;
        Assert.Contains("Observation/example", await FindAsync("Observation", P("value-quantity", Predicates.Quantity(SearchPrefix.Eq, 185m, ucum, "[lb_av]"))));
        // 185 [lb_av] = 83.91 kg: found through the canonical (gram) columns.
        Assert.Contains("Observation/example", await FindAsync("Observation", P("value-quantity", Predicates.Quantity(SearchPrefix.Eq, 83.9m, ucum, "kg"))));
        Assert.Contains("Observation/example", await FindAsync("Observation", P("value-quantity", Predicates.Quantity(SearchPrefix.Gt, 80m, ucum, "kg"))));
        Assert.DoesNotContain("Observation/example", await FindAsync("Observation", P("value-quantity", Predicates.Quantity(SearchPrefix.Gt, 90m, ucum, "kg"))));
        Assert.DoesNotContain("Observation/example", await FindAsync("Observation", P("value-quantity", Predicates.Quantity(SearchPrefix.Eq, 84m, ucum, "g"))));
        // A code that is not UCUM-convertible compares the value as written, matching code or unit.
        Assert.Contains("Observation/example", await FindAsync("Observation", P("value-quantity", new QuantityPredicate(SearchPrefix.Eq, 185m, 184.5m, 185.5m, null, "lbs"))));
    }

    [Fact]
    public async Task Uri_search_exact_below_above()
    {
        Assert.Equal(["ValueSet/example-expansion"], await FindAsync("ValueSet", P("url", new UriPredicate("http://hl7.org/fhir/ValueSet/example-expansion"))));
        var below = Where("ValueSet", v => Str(v, "url")?.StartsWith("http://hl7.org/fhir/ValueSet/example-", StringComparison.Ordinal) == true);
        Assert.True(below.Count >= 5);
        Assert.Equal(below, await FindAsync("ValueSet", P("url", new UriPredicate("http://hl7.org/fhir/ValueSet/example-", UriMatch.Below))));
        Assert.Equal(["ValueSet/example-expansion"], await FindAsync("ValueSet", P("url", new UriPredicate("http://hl7.org/fhir/ValueSet/example-expansion/sub/part", UriMatch.Above))));
    }

    [Fact]
    public async Task Composite_search_pairs_components_on_one_row()
    {
        static CompositePredicate Bp(string code, SearchPrefix prefix, decimal value) =>
            new([new TokenPredicate("http://loinc.org", code), Predicates.Quantity(prefix, value, Predicates.Ucum, "mm[Hg]")]);
        Assert.Contains("Observation/blood-pressure", await FindAsync("Observation", P("component-code-value-quantity", Bp("8480-6", SearchPrefix.Gt, 100m))));
        Assert.DoesNotContain("Observation/blood-pressure", await FindAsync("Observation", P("component-code-value-quantity", Bp("8480-6", SearchPrefix.Gt, 110m))));
        // 60 belongs to the diastolic component: pairing the systolic code with it finds nothing.
        Assert.DoesNotContain("Observation/blood-pressure", await FindAsync("Observation", P("component-code-value-quantity", Bp("8480-6", SearchPrefix.Eq, 60m))));
        Assert.Contains("Observation/blood-pressure", await FindAsync("Observation", P("component-code-value-quantity", Bp("8462-4", SearchPrefix.Eq, 60m))));
    }

    [Fact]
    public async Task Missing_id_last_updated_and_type()
    {
        var all = Where("Patient", _ => true);
        var noBirth = Where("Patient", p => Str(p, "birthDate") is null);
        Assert.Equal(noBirth, await FindAsync("Patient", new MissingExpression("birthdate", SearchParamType.Date, true)));
        Assert.Equal(all.Except(noBirth).ToHashSet(), await FindAsync("Patient", new MissingExpression("birthdate", SearchParamType.Date, false)));
        Assert.Equal(["Patient/example", "Patient/f001"], (await FindAsync("Patient", new IdExpression(["example", "f001", "nope"]))).Order());
        var recent = new DatePredicate(SearchPrefix.Ge, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-2));
        Assert.Equal(all, await FindAsync("Patient", new LastUpdatedExpression(recent)));
        Assert.Empty(await FindAsync("Patient", new LastUpdatedExpression(recent with { Prefix = SearchPrefix.Lt })));
        var typed = await FindAsync(null, new AndExpression([new TypeExpression(["Patient", "Organization"]), new IdExpression(["example", "1"])]));
        Assert.Equal(["Organization/1", "Patient/example"], typed.Order());
    }

    [Fact]
    public async Task Chained_and_reverse_chained_search()
    {
        var chalmers = Where("Patient", p => Array(p, "name").Any(n => Str(n, "family") == "Chalmers"));
        var expected = Where("Observation", o => chalmers.Contains(Str(Obj(o, "subject"), "reference") ?? ""));
        Assert.Equal(expected, await FindAsync("Observation", new ChainedExpression("subject", "Patient", P("family", new StringPredicate("chalmers")))));
        // Two levels: Observation -> Patient -> managing Organization by name.
        var twoLevel = await FindAsync("Observation", new ChainedExpression("subject", "Patient",
            new ChainedExpression("organization", "Organization", P("name", new StringPredicate("Gastro")))));
        Assert.Contains("Observation/example", twoLevel);
        Assert.Empty(await FindAsync("Observation", new ChainedExpression("subject", "Patient",
            new ChainedExpression("organization", "Organization", P("name", new StringPredicate("Nowhere"))))));
        var has = await FindAsync("Patient", new ReverseChainedExpression("Observation", "subject", P("code", new TokenPredicate("http://loinc.org", "29463-7"))));
        Assert.Contains("Patient/example", has);
        Assert.All(has, h => Assert.StartsWith("Patient/", h, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Include_and_revinclude_in_one_statement_each()
    {
        var tenant = await Fixture.ExamplesAsync();
        var inc = await Store.SearchAsync(tenant, new SearchQuery("Observation", new IdExpression(["example"]))
        {
            Includes = [new IncludeDescriptor("Observation", "subject", "Patient")],
        });
        Assert.Equal(["Observation/example"], inc.Matches.Select(m => $"{m.Type}/{m.Id}"));
        Assert.Equal(["Patient/example"], inc.Included.Select(m => $"{m.Type}/{m.Id}"));
        var rev = await Store.SearchAsync(tenant, new SearchQuery("Patient", new IdExpression(["example"]))
        {
            RevIncludes = [new IncludeDescriptor("Observation", "subject")],
        });
        var expected = Where("Observation", o => Str(Obj(o, "subject"), "reference") == "Patient/example");
        Assert.Equal(expected, rev.Included.Select(m => $"{m.Type}/{m.Id}").ToHashSet());
    }

    [Fact]
    public async Task Sorted_paging_covers_every_match_once_with_total()
    {
        var tenant = await Fixture.ExamplesAsync();
        var seen = new List<StoredResource>();
        string? cursor = null;
        long? total = null;
        do
        {
            var page = await Store.SearchAsync(tenant, new SearchQuery("Patient")
            {
                Sort = [new SortKey("birthdate", SearchParamType.Date, Descending: true)],
                Count = 4,
                Cursor = cursor,
                Total = TotalMode.Accurate,
            });
            Assert.True(page.Matches.Length <= 4);
            seen.AddRange(page.Matches);
            total = page.Total;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(Where("Patient", _ => true).Count, total);
        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
        // Newest birth dates first; patients without one last.
        var dates = seen.Select(s => Str(System.Text.Json.JsonDocument.Parse(s.Json).RootElement, "birthDate")).ToList();
        var withDate = dates.TakeWhile(d => d is not null).ToList();
        Assert.All(dates.Skip(withDate.Count), d => Assert.Null(d));
        Assert.Equal(withDate.OrderByDescending(d => d, StringComparer.Ordinal), withDate);
    }

    [Fact]
    public async Task Near_search_uses_position()
    {
        var near = await FindAsync("Location", P("near", new NearPredicate(-83.69471m, 42.2565m, 5m)));
        Assert.Equal(["Location/hl7"], near);
        Assert.Empty(await FindAsync("Location", P("near", new NearPredicate(10m, 10m, 5m))));
    }

    [Fact]
    public async Task Updating_a_resource_replaces_its_index_rows()
    {
        await CreateAsync("Oldname", "ix");
        await Store.TransactAsync(Tenant, [new UpdateOperation("Patient", "ix", Examples.Patient("Newname"))]);
        var old = await Store.SearchAsync(Tenant, new SearchQuery("Patient", P("family", new StringPredicate("oldname"))));
        Assert.Empty(old.Matches);
        var now = await Store.SearchAsync(Tenant, new SearchQuery("Patient", P("family", new StringPredicate("newname"))));
        Assert.Single(now.Matches);
        await Store.TransactAsync(Tenant, [new DeleteOperation("Patient", "ix")]);
        var deleted = await Store.SearchAsync(Tenant, new SearchQuery("Patient", P("family", new StringPredicate("newname"))) { Total = TotalMode.Accurate });
        Assert.Empty(deleted.Matches);
        Assert.Equal(0, deleted.Total);
        _ = s_maxChar;
    }

    [Fact]
    public async Task Default_order_paging_is_stable_while_resources_are_created()
    {
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync("Page" + i);
        }
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.SearchAsync(Tenant, new SearchQuery("Patient", P("family", new StringPredicate("page"))) { Count = 2, Cursor = cursor });
            seen.AddRange(page.Matches.Select(m => Family(m)));
            cursor = page.NextCursor;
            if (pages++ == 0)
            {
                // Lands after the cursor: it neither shifts nor repeats what was already read.
                await CreateAsync("PageLate");
            }
        }
        while (cursor is not null);
        Assert.Equal(["Page0", "Page1", "Page2", "Page3", "Page4", "PageLate"], seen);
    }

    [Fact]
    public async Task Common_parameters_from_meta_are_searchable()
    {
        const string vitals = "http://hl7.org/fhir/StructureDefinition/vitalsigns";
        var expected = Where("Observation", o => Array(Obj(o, "meta"), "profile").Any(p => p.GetString() == vitals));
        Assert.Contains("Observation/vitals-panel", expected);
        Assert.Equal(expected, await FindAsync("Observation", P("_profile", new UriPredicate(vitals))));
    }
}
