using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private void AddReferences(FhirNode node, FhirNode resource, List<SearchValue> output)
    {
        switch (node.TypeName)
        {
            case "Reference":
                if (TextOf(node, "reference") is { Length: > 0 } reference)
                {
                    output.Add(ParseReference(reference, resource));
                }
                // Reference.identifier makes the reference searchable with :identifier.
                if (node.Child("identifier") is { } identifier)
                {
                    AddIdentifier(identifier, output);
                }
                break;
            case "canonical":
                if (node.Text is { Length: > 0 } canonical)
                {
                    var bar = canonical.IndexOf('|');
                    var url = bar < 0 ? canonical : canonical[..bar];
                    var (type, id) = SplitTypeAndId(url, url.Length);
                    output.Add(new ReferenceValue(ReferenceKind.Canonical, canonical)
                    {
                        Url = url,
                        Version = bar < 0 ? null : canonical[(bar + 1)..],
                        ResourceType = type,
                        Id = id,
                    });
                }
                break;
            case "Attachment":
                if (TextOf(node, "url") is { Length: > 0 } attachmentUrl)
                {
                    output.Add(ParseReference(attachmentUrl, resource));
                }
                break;
            default:
                if (node.IsPrimitive && node.Text is { Length: > 0 } uri)
                {
                    output.Add(ParseReference(uri, resource));
                }
                break;
        }
    }

    /// <summary>Parses <c>Type/id[/_history/v]</c>, an absolute RESTful URL, <c>#contained</c> or an opaque URI.</summary>
    internal ReferenceValue ParseReference(string reference, FhirNode resource)
    {
        if (reference[0] == '#')
        {
            var localId = reference[1..];
            return new ReferenceValue(ReferenceKind.Contained, reference)
            {
                Id = localId,
                ResourceType = FindContained(resource, localId)?.TypeName,
            };
        }
        if (reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return new ReferenceValue(ReferenceKind.Uri, reference) { Url = reference };
        }
        var isAbsolute = reference.Contains("://", StringComparison.Ordinal);
        var path = reference;
        string? version = null;
        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            version = reference[(history + 10)..];
            path = reference[..history];
        }
        var (type, id) = SplitTypeAndId(path, path.Length);
        if (!isAbsolute)
        {
            return type is null
                ? new ReferenceValue(ReferenceKind.Uri, reference) { Url = reference }
                : new ReferenceValue(ReferenceKind.Local, reference) { ResourceType = type, Id = id, Version = version };
        }
        string? baseUrl = null;
        if (type is not null)
        {
            baseUrl = path[..(path.Length - type.Length - id!.Length - 2)];
        }
        return new ReferenceValue(ReferenceKind.Absolute, reference)
        {
            Url = path,
            BaseUrl = baseUrl,
            ResourceType = type,
            Id = id,
            Version = type is null ? null : version,
        };
    }

    /// <summary>The last two segments of a path as (Type, id) when the first is a resource type.
    /// The type string comes from the spec, so no allocation is made for it.</summary>
    private (string? Type, string? Id) SplitTypeAndId(string path, int end)
    {
        var type = TypeSegment(path.AsSpan(0, end), out var slash);
        return type is null ? (null, null) : (type, path[(slash + 1)..end]);
    }

    private string? TypeSegment(ReadOnlySpan<char> path, out int slash)
    {
        slash = path.LastIndexOf('/');
        if (slash <= 0 || slash == path.Length - 1)
        {
            return null;
        }
        var typeStart = path[..slash].LastIndexOf('/') + 1;
        return _resourceTypes.TryGetValue(path[typeStart..slash], out var type) ? type : null;
    }

    /// <summary>The resource type a reference points at, without allocating: what
    /// <c>resolve() is T</c> tests in expressions such as <c>subject.where(resolve() is Patient)</c>.</summary>
    internal string? TargetType(string reference, FhirNode resource)
    {
        if (reference.Length == 0)
        {
            return null;
        }
        if (reference[0] == '#')
        {
            return FindContained(resource, reference.AsSpan(1))?.TypeName;
        }
        var span = reference.AsSpan();
        var history = span.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            span = span[..history];
        }
        return TypeSegment(span, out _);
    }

    private static FhirNode? FindContained(FhirNode resource, ReadOnlySpan<char> id)
    {
        foreach (var c in resource.Children)
        {
            if (c.Name == "contained" && id.SequenceEqual(c.ResourceId))
            {
                return c;
            }
        }
        return null;
    }
}
