using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;
using Xunit.Abstractions;

namespace Meridian.Fhir.Tests.Search;

public class CompilationTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_parameter_with_an_expression_is_compiled()
    {
        var indexer = SearchIndexer.R4;
        foreach (var s in indexer.Skipped)
        {
            output.WriteLine($"{s.Parameter.Url} ({s.Parameter.Type}) {s.Parameter.Expression}: {s.Reason}");
        }
        var withoutExpression = FhirSpec.R4.SearchParameters.Count(p => p.Expression is null);
        Assert.Equal(16, withoutExpression);
        Assert.All(indexer.Skipped, s => Assert.Null(s.Parameter.Expression));
        Assert.Equal(withoutExpression, indexer.Skipped.Length);
    }
}
