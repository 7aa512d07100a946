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
                if (node.Text is not { Length: > 0 } canonical)
                {
                    break;
                }
                if (canonical[0] == '#')
                {
                    output.Add(ParseReference(canonical, resource)); // a canonical may point at a contained resource
                }
                else
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
                if (node.IsResource)
                {
                    AddResourceItself(node, resource, output);
                }
                else if (node.IsPrimitive && node.Text is { Length: > 0 } uri)
                {
                    output.Add(ParseReference(uri, resource));
                }
                break;
        }
    }

    /// <summary>An expression that selects a resource (Bundle.entry[0].resource for Bundle's
    /// <c>composition</c>/<c>message</c>) refers to it: by its entry's fullUrl, else Type/id.</summary>
    private void AddResourceItself(FhirNode node, FhirNode resource, List<SearchValue> output)
    {
        if (node.Parent?.Child("fullUrl")?.Text is { Length: > 0 } fullUrl)
        {
            output.Add(ParseReference(fullUrl, resource));
        }
        else if (node.ResourceId is { Length: > 0 } id)
        {
            output.Add(new ReferenceValue(ReferenceKind.Local, node.TypeName + "/" + id) { ResourceType = node.TypeName, Id = id });
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
        var query = reference.IndexOf('?');
        if (query > 0)
        {
            // Its search part may itself hold URLs (identifier=http://.../Patient/1): never parse those as the target.
            return new ReferenceValue(ReferenceKind.Conditional, reference) { ResourceType = ConditionalType(reference.AsSpan(0, query)) };
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
        var query = span.IndexOf('?');
        if (query > 0)
        {
            return ConditionalType(span[..query]);
        }
        var history = span.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            span = span[..history];
        }
        // A resource inside a Bundle may point at a sibling entry by its fullUrl (urn:uuid:...),
        // as resolve() does; a stand-alone resource has no parent and skips the search.
        return TypeSegment(span, out _) ?? (resource.Parent is null ? null : FromEnclosingBundle(resource, reference));
    }

    /// <summary>The type of a conditional reference: the path before <c>?</c> is <c>Type</c> or ends in <c>/Type</c>.</summary>
    private string? ConditionalType(ReadOnlySpan<char> path)
    {
        var slash = path.LastIndexOf('/');
        return _resourceTypes.TryGetValue(path[(slash + 1)..], out var type) ? type : null;
    }

    private static string? FromEnclosingBundle(FhirNode resource, string reference)
    {
        for (var n = resource.Parent; n is not null; n = n.Parent)
        {
            if (n.IsResource && n.TypeName == "Bundle")
            {
                foreach (var entry in n.Children)
                {
                    if (entry.Name == "entry" && entry.Child("fullUrl")?.Text == reference)
                    {
                        return entry.Child("resource")?.TypeName;
                    }
                }
                return null;
            }
        }
        return null;
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
