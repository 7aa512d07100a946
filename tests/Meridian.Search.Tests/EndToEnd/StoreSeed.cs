using Meridian.Fhir.Serialization;
using Meridian.Storage;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>Writes a fixture's hand-written resources (JSON with ids) in one transaction.</summary>
internal static class StoreSeed
{
    public static async Task WriteAsync(IFhirStore store, string tenant, IEnumerable<string> resources)
    {
        var ops = new List<WriteOperation>();
        foreach (var json in resources)
        {
            var parsed = FhirJsonParser.R4.Parse(json);
            var resource = parsed.Resource ?? throw new InvalidOperationException(string.Join("; ", parsed.Issues));
            ops.Add(new UpdateOperation(resource.TypeName, resource.ResourceId!, ResourceContent.From(resource)));
        }
        var result = await store.TransactAsync(tenant, ops);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Failure?.Message);
        }
    }
}
