using System.Collections.Immutable;
using Meridian.Fhir.Serialization;

namespace Meridian.Storage.Tests.Support;

/// <summary>The official R4 examples as write operations (JSON + index values from the real
/// SearchIndexer), parsed once per test run.</summary>
public static class Examples
{
    private static readonly Lazy<ImmutableArray<UpdateOperation>> s_all = new(Load);

    public static ImmutableArray<UpdateOperation> All => s_all.Value;

    public static string Folder => SharedData.PathOf("fhir-examples");

    private static ImmutableArray<UpdateOperation> Load()
    {
        var ops = ImmutableArray.CreateBuilder<UpdateOperation>();
        foreach (var file in Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            var parsed = FhirJsonParser.R4.Parse(File.ReadAllBytes(file));
            if (parsed.Resource is not { ResourceId: { } id } resource)
            {
                continue;
            }
            ops.Add(new UpdateOperation(resource.TypeName, id, ResourceContent.From(resource)));
        }
        return ops.ToImmutable();
    }

    /// <summary>Content for a small resource written inline by a test.</summary>
    public static ResourceContent Content(string json)
    {
        var parsed = FhirJsonParser.R4.Parse(json);
        Assert.NotNull(parsed.Resource);
        return ResourceContent.From(parsed.Resource);
    }

    public static ResourceContent Patient(string family, string? marker = null) =>
        Content($$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]{{(marker is null ? "" : $$""","identifier":[{"system":"urn:test","value":"{{marker}}"}]""")}}}""");
}
