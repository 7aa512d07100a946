using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class SystemSearchTests
{
    [Fact]
    public void Resource_level_parameters_work_across_all_types()
    {
        var query = Query(null, "_id=1&_lastUpdated=2020&_tag=a");
        Assert.Null(query.ResourceType);
        Assert.Equal(And(new IdExpression(["1"]), new LastUpdatedExpression(new DatePredicate(SearchPrefix.Eq, Utc(2020), Before(Utc(2021)))), P("_tag", Token(null, "a"))), query.Filter);
    }

    [Fact]
    public void Type_specific_parameter_needs_type() =>
        Assert.Contains("name the types with _type", Error(null, "name=x").Message);

    [Fact]
    public void Several_types_keep_a_type_filter_and_allow_shared_parameters()
    {
        var query = Query(null, "_type=Patient,Practitioner&name=x");
        Assert.Null(query.ResourceType);
        Assert.Equal(And(new TypeExpression(["Patient", "Practitioner"]), P("name", new StringPredicate("x"))), query.Filter);
    }

    [Fact]
    public void Parameters_may_precede_type() =>
        Assert.Equal(And(P("name", new StringPredicate("x")), new TypeExpression(["Patient", "Practitioner"])),
            Filter(null, "name=x&_type=Patient,Practitioner"));

    [Fact]
    public void One_type_becomes_a_type_level_search()
    {
        var query = Query(null, "_type=Patient&birthdate=2000");
        Assert.Equal("Patient", query.ResourceType);
        Assert.Equal(P("birthdate", new DatePredicate(SearchPrefix.Eq, Utc(2000), Before(Utc(2001)))), query.Filter);
    }

    [Fact]
    public void Raw_tree_keeps_the_type_expression()
    {
        var query = Query(null, "_type=Patient&birthdate=2000", Raw);
        Assert.Null(query.ResourceType);
        Assert.Equal(And(new TypeExpression(["Patient"]), P("birthdate", new DatePredicate(SearchPrefix.Eq, Utc(2000), Before(Utc(2001))))), query.Filter);
    }

    [Fact]
    public void Parameter_missing_on_one_type_is_an_error() =>
        Assert.Contains("not defined for Organization", Error(null, "_type=Patient,Organization&birthdate=2000").Message);

    [Fact]
    public void Parameter_with_different_types_is_an_error()
    {
        // Found from the spec rather than hard-coded: some code means a different type on two resources.
        var spec = Meridian.Fhir.Specification.FhirSpec.R4;
        var byCode = new Dictionary<string, (string Type, Meridian.Fhir.Specification.SearchParamType ParamType)>();
        (string A, string B, string Code)? clash = null;
        foreach (var type in spec.ResourceTypes)
        {
            foreach (var p in spec.SearchParametersFor(type))
            {
                if (byCode.TryGetValue(p.Code, out var seen) && seen.ParamType != p.Type)
                {
                    clash ??= (seen.Type, type, p.Code);
                }
                byCode.TryAdd(p.Code, (type, p.Type));
            }
        }
        Assert.NotNull(clash);
        var (a, b, code) = clash.Value;
        Assert.Contains("different types", Error(null, $"_type={a},{b}&{code}=x").Message);
    }

    [Fact]
    public void Unknown_type_in_type_list_is_an_error() =>
        Assert.Contains("'Patent' is not a resource type", Error(null, "_type=Patient,Patent").Message);

    [Fact]
    public void Ignored_type_list_does_not_scope_other_parameters()
    {
        // Lenient: the bad _type pair is dropped, so 'name' must be judged as in a search across all types.
        var result = Parse(null, "_type=Patient,Patent&name=x", Meridian.Storage.Search.Parsing.SearchHandling.Lenient);
        Assert.Equal(["_type", "name"], result.Ignored.Select(p => p.Name).ToArray());
        Assert.Null(result.Query.Filter);
    }

    [Fact]
    public void Resource_source_is_a_uri() =>
        Assert.Equal(P("_source", new UriPredicate("http://lab.example.org/feed")), Filter(null, "_source=http://lab.example.org/feed"));

    [Fact]
    public void Profile_below() =>
        Assert.Equal(P("_profile", new UriPredicate("http://hl7.org/fhir/us/core/", UriMatch.Below)), Filter("Patient", "_profile:below=http://hl7.org/fhir/us/core/"));

    [Fact]
    public void Security_not() =>
        Assert.Equal(new NotExpression(P("_security", Token("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R"))),
            Filter("Patient", "_security:not=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R"));

    [Fact]
    public void Type_in_a_type_level_search_is_an_error() =>
        Assert.Contains("only valid in a search across all types", Error("Patient", "_type=Patient").Message);

    [Fact]
    public void Sort_and_include_in_a_system_search() =>
        Assert.Equal([new SortKey("_lastUpdated", Meridian.Fhir.Specification.SearchParamType.Date, true)], Query(null, "_sort=-_lastUpdated").Sort.ToArray());

    [Fact]
    public void Unknown_parameter_with_types_is_not_found() =>
        Assert.Equal(IssueType.NotFound, Error(null, "_type=Patient,Practitioner&shoe=1").Code);
}
