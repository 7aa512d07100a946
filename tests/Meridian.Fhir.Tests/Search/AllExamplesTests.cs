using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;
using Xunit.Abstractions;

namespace Meridian.Fhir.Tests.Search;

public class AllExamplesTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_official_example_extracts_without_exceptions_and_with_entries()
    {
        var files = Directory.GetFiles(SharedData.PathOf("fhir-examples"), "*.json");
        Assert.True(files.Length > 600);
        var indexer = SearchIndexer.R4;
        var withoutEntries = new List<string>();
        var total = 0;
        foreach (var file in files)
        {
            var resource = FhirJsonParser.R4.Parse(File.ReadAllBytes(file)).Resource;
            Assert.NotNull(resource);
            var entries = indexer.Extract(resource!);
            total += entries.Length;
            // Every example has at least an id (the _id token) – but "search-relevant data"
            // means something beyond the resource-level parameters.
            if (!HasTypeSpecificEntry(entries, resource!) && HasSearchRelevantData(indexer, resource!))
            {
                withoutEntries.Add(Path.GetFileName(file));
            }
            Assert.All(entries, e => Assert.NotNull(e.Value));
        }
        output.WriteLine($"{files.Length} examples, {total} entries; without type-specific entries: {string.Join(", ", withoutEntries)}");
        Assert.True(total > 5_000, $"only {total} entries");
        Assert.Empty(withoutEntries);
    }

    [Fact]
    public void Extraction_is_deterministic_and_safe_to_share_across_threads()
    {
        var resources = Directory.GetFiles(SharedData.PathOf("fhir-examples"), "*.json")
            .Select(f => FhirJsonParser.R4.Parse(File.ReadAllBytes(f)).Resource!).ToArray();
        var sequential = resources.Select(r => SearchIndexer.R4.Extract(r)).ToArray();
        var parallel = new System.Collections.Immutable.ImmutableArray<SearchIndexEntry>[resources.Length];
        Parallel.For(0, resources.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = SearchIndexer.R4.Extract(resources[i]));
        for (var i = 0; i < resources.Length; i++)
        {
            Assert.Equal(sequential[i].Length, parallel[i].Length);
            for (var j = 0; j < sequential[i].Length; j++)
            {
                Assert.True(sequential[i][j] == parallel[i][j], $"{resources[i].Location} {sequential[i][j]} != {parallel[i][j]}");
            }
        }
    }

    private static bool HasTypeSpecificEntry(System.Collections.Immutable.ImmutableArray<SearchIndexEntry> entries, FhirNode resource)
    {
        foreach (var e in entries)
        {
            if (e.Parameter.Base.Contains(resource.TypeName))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>An independent, rough test for search-relevant data: does the resource have a
    /// top-level element that one of its type's parameter expressions starts with
    /// (<c>Patient.name...</c> → <c>name</c>)?</summary>
    private static bool HasSearchRelevantData(SearchIndexer indexer, FhirNode resource)
    {
        var prefix = resource.TypeName + ".";
        foreach (var p in indexer.Spec.SearchParametersFor(resource.TypeName))
        {
            if (p.Expression is null || !p.Base.Contains(resource.TypeName))
            {
                continue;
            }
            foreach (var branch in p.Expression.Split('|'))
            {
                var b = branch.Trim().TrimStart('(');
                if (!b.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }
                var rest = b[prefix.Length..];
                var end = rest.IndexOfAny(['.', ' ', ')', '[']);
                if (resource.Child(end < 0 ? rest : rest[..end]) is not null)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
