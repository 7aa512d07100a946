using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;
using Xunit.Abstractions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

/// <summary>Every search parameter of every R4 resource type either parses or is reported as not supported.</summary>
public class SpecCoverageTests(ITestOutputHelper output)
{
    private static readonly FhirSpec Spec = FhirSpec.R4;

    private static string? Sample(SearchParamType type) => type switch
    {
        SearchParamType.Number => "ge5",
        SearchParamType.Date => "lt2020-05",
        SearchParamType.String => "x",
        SearchParamType.Token => "http://s|c",
        SearchParamType.Reference => "123",
        SearchParamType.Quantity => "5|http://unitsofmeasure.org|mg",
        SearchParamType.Uri => "http://example.org/x",
        _ => null,
    };

    private static string? SampleFor(SearchParameterDefinition p)
    {
        if (p.Type == SearchParamType.Special)
        {
            return p.Code == "near" ? "1|2|3|km" : "x";
        }
        if (p.Type != SearchParamType.Composite)
        {
            return Sample(p.Type);
        }
        var parts = p.Components.Select(c => Spec.FindSearchParameterByUrl(c.Definition) is { } d ? Sample(d.Type) : null).ToList();
        return parts.Contains(null) ? null : string.Join("$", parts);
    }

    [Fact]
    public void Every_parameter_of_every_type_parses_or_is_not_supported()
    {
        int parsed = 0, unsupported = 0, checkedParams = 0;
        var failures = new List<string>();
        var unsupportedUrls = new HashSet<string>();
        foreach (var type in Spec.ResourceTypes)
        {
            foreach (var p in Spec.SearchParametersFor(type))
            {
                if (!IsEffective(type, p))
                {
                    continue;
                }
                var value = SampleFor(p) ?? "x";
                checkedParams++;
                var result = Parse(type, $"{p.Code}={value}");
                if (result.Issues.IsEmpty && result.Query.Filter is ParameterExpression pe && pe.Code == p.Code && MatchesType(p.Type, pe.Predicate))
                {
                    parsed++;
                }
                else if (result.Issues.IsEmpty && (p.Code, result.Query.Filter) is ("_id", IdExpression) or ("_lastUpdated", LastUpdatedExpression))
                {
                    parsed++;
                }
                else if (result.Issues.Length == 1 && result.Issues[0].Code == IssueType.NotSupported && result.Issues[0].Message.Contains($"'{p.Code}'", StringComparison.Ordinal))
                {
                    unsupported++;
                    unsupportedUrls.Add(p.Url);
                }
                else
                {
                    failures.Add($"{type}?{p.Code}={value}: {string.Join("; ", result.Issues)}");
                }
            }
        }
        output.WriteLine($"{checkedParams} (type, parameter) pairs: {parsed} parsed, {unsupported} not supported");
        Assert.Empty(failures);
        // Only what the indexer cannot index (or a special parameter other than near) is refused.
        var skipped = Meridian.Fhir.Search.SearchIndexer.R4.Skipped.Select(s => s.Parameter.Url).ToHashSet();
        Assert.All(unsupportedUrls, url => Assert.True(skipped.Contains(url) || Spec.FindSearchParameterByUrl(url)!.Type == SearchParamType.Special, url));
        Assert.True(parsed > 2500, $"only {parsed} of {checkedParams} parsed");
    }

    [Fact]
    public void Every_reference_parameter_with_one_target_chains_to_id()
    {
        var count = 0;
        foreach (var type in Spec.ResourceTypes)
        {
            foreach (var p in Spec.SearchParametersFor(type).Where(p => IsEffective(type, p) && p.Type == SearchParamType.Reference && p.Target.Length == 1))
            {
                Assert.Equal(new ChainedExpression(p.Code, p.Target[0], new IdExpression(["1"])), Filter(type, $"{p.Code}._id=1"));
                count++;
            }
        }
        Assert.True(count > 100, $"only {count} single-target reference parameters");
    }

    /// <summary>The spec pack also holds example SearchParameters reusing core codes; a code means its first definition.</summary>
    private static bool IsEffective(string type, SearchParameterDefinition p) => ReferenceEquals(Spec.FindSearchParameter(type, p.Code), p);

    private static bool MatchesType(SearchParamType type, ValuePredicate predicate) => (type, predicate) switch
    {
        (SearchParamType.Number, NumberPredicate) => true,
        (SearchParamType.Date, DatePredicate) => true,
        (SearchParamType.String, StringPredicate) => true,
        (SearchParamType.Token, TokenPredicate) => true,
        (SearchParamType.Reference, ReferencePredicate) => true,
        (SearchParamType.Quantity, QuantityPredicate) => true,
        (SearchParamType.Uri, UriPredicate) => true,
        (SearchParamType.Composite, CompositePredicate) => true,
        (SearchParamType.Special, NearPredicate) => true,
        _ => false,
    };
}
