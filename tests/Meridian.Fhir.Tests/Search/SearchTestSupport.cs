using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Search;

/// <summary>Loads official examples and picks index values out of an extraction.</summary>
internal static class SearchTestSupport
{
    public static FhirNode LoadExample(string file)
    {
        var json = File.ReadAllBytes(SharedData.PathOf("fhir-examples", file));
        var result = FhirJsonParser.R4.Parse(json);
        return result.Resource ?? throw new InvalidOperationException($"{file} did not parse");
    }

    public static ImmutableArray<SearchIndexEntry> Extract(string file) => SearchIndexer.R4.Extract(LoadExample(file));

    public static List<T> Values<T>(this ImmutableArray<SearchIndexEntry> entries, string code)
        where T : SearchValue
    {
        var list = new List<T>();
        foreach (var e in entries)
        {
            if (e.Parameter.Code == code && e.Value is T v)
            {
                list.Add(v);
            }
        }
        return list;
    }
}
