using System.Collections.Immutable;

namespace Meridian.Fhir.Specification;

public enum SearchParamType { Number, Date, String, Token, Reference, Composite, Quantity, Uri, Special }

public sealed record SearchComponent(string Definition, string Expression);

/// <summary>A SearchParameter from the spec: what to extract (<see cref="Expression"/>) and how to index it.</summary>
public sealed record SearchParameterDefinition(
    string Url,
    string Code,
    ImmutableArray<string> Base,
    SearchParamType Type,
    string? Expression,
    ImmutableArray<string> Target,
    ImmutableArray<string> Modifier,
    ImmutableArray<string> Comparator,
    ImmutableArray<SearchComponent> Components)
{
    public static SearchParamType ParseType(string s) => s switch
    {
        "number" => SearchParamType.Number,
        "date" => SearchParamType.Date,
        "string" => SearchParamType.String,
        "token" => SearchParamType.Token,
        "reference" => SearchParamType.Reference,
        "composite" => SearchParamType.Composite,
        "quantity" => SearchParamType.Quantity,
        "uri" => SearchParamType.Uri,
        "special" => SearchParamType.Special,
        _ => throw new InvalidDataException($"unknown search parameter type '{s}'"),
    };
}
