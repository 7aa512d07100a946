using System.Collections.Frozen;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;

namespace Meridian.Fhir.Validation;

internal sealed partial class ValidationRun
{
    // Per call: for each Bundle met, fullUrl -> resource type of its entries (built on first use).
    private Dictionary<FhirNode, Dictionary<string, string>>? _bundleIndex;

    // ref-1 "reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)",
    // natively: it is on every Reference. A bare "#" (the container itself) passes when the
    // reference is inside a contained resource, as R5's corrected ref-1 says.
    private void CheckRef1(FhirNode node)
    {
        if (node.Child("reference")?.Text is not { Length: > 0 } reference || reference[0] != '#')
        {
            return;
        }
        var resource = node.Resource;
        var root = resource;
        while (root is { Name: "contained" } && root.Parent?.Resource is { } outer)
        {
            root = outer;
        }
        if (root is null)
        {
            return;
        }
        var id = reference.AsSpan(1);
        if (id.IsEmpty && !ReferenceEquals(root, resource))
        {
            return;
        }
        foreach (var c in root.Children)
        {
            if (c.Name == "contained" && c.ResourceId is { } cid && id.SequenceEqual(cid))
            {
                return;
            }
        }
        Error(IssueType.Invariant, "ref-1: SHALL have a contained resource if a local reference is provided", node.Location, "ref-1");
    }

    /// <summary>Checks that Reference.reference is a reference at all and that it (and Reference.type)
    /// name a resource type the element allows (<paramref name="targets"/> null: any).</summary>
    private void CheckReference(FhirNode node, FrozenSet<string>? targets)
    {
        var typeNode = node.Child("type");
        if (targets is not null && typeNode?.Text is { Length: > 0 } declared && _validator.ResourceType(declared) is { } declaredType && !targets.Contains(declaredType))
        {
            TargetError(node, declaredType, targets, typeNode.Location);
        }
        var referenceNode = node.Child("reference");
        if (referenceNode?.Text is not { Length: > 0 } reference)
        {
            return;
        }
        var type = ReferencedType(node, reference, out var malformed);
        if (malformed)
        {
            Error(IssueType.Invalid, $"The reference '{Shorten(reference)}' is neither '#id', '[type]/[id]' nor an absolute URL.", referenceNode.Location);
        }
        else if (targets is not null && type is not null && !targets.Contains(type))
        {
            TargetError(node, type, targets, referenceNode.Location);
        }
    }

    private void TargetError(FhirNode node, string type, FrozenSet<string> targets, string location) =>
        Error(IssueType.Invalid,
            $"The reference points to a {type}, but '{node.Definition?.Path}' allows only {string.Join(", ", targets.Order(StringComparer.Ordinal))}.",
            location);

    /// <summary>The resource type a reference points to, or null when it cannot be told
    /// (an unresolvable URN or a URL without [type]/[id]).</summary>
    private string? ReferencedType(FhirNode node, string reference, out bool malformed)
    {
        malformed = false;
        if (reference[0] == '#')
        {
            return ContainedType(node, reference.AsSpan(1));
        }
        var span = reference.AsSpan();
        var query = span.IndexOf('?');
        if (query >= 0)
        {
            // A conditional reference in a transaction: Patient?identifier=...
            var head = span[..query];
            return _validator.ResourceType(head[(head.LastIndexOf('/') + 1)..]);
        }
        var history = span.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            span = span[..history];
        }
        var lastSlash = span.LastIndexOf('/');
        if (lastSlash > 0 && lastSlash < span.Length - 1)
        {
            var head = span[..lastSlash];
            var type = _validator.ResourceType(head[(head.LastIndexOf('/') + 1)..]);
            if (type is not null)
            {
                return type;
            }
        }
        if (BundleEntryType(node, reference) is { } inBundle)
        {
            return inBundle;
        }
        // Not an absolute URI (no scheme) and not [type]/[id]: not a FHIR reference at all.
        malformed = span.IndexOf(':') < 0;
        return null;
    }

    private static string? ContainedType(FhirNode node, ReadOnlySpan<char> id)
    {
        // Contained references resolve in the containing resource, also from inside a contained one.
        var container = node.Resource;
        while (container is { Name: "contained" } && container.Parent?.Resource is { } outer)
        {
            container = outer;
        }
        if (container is null)
        {
            return null;
        }
        if (id.IsEmpty)
        {
            return container.TypeName;
        }
        foreach (var c in container.Children)
        {
            if (c.Name == "contained" && c.ResourceId is { } cid && id.SequenceEqual(cid))
            {
                return c.TypeName;
            }
        }
        return null;
    }

    private string? BundleEntryType(FhirNode node, string reference)
    {
        FhirNode? bundle = null;
        for (var n = node.Parent; n is not null; n = n.Parent)
        {
            if (n.IsResource && n.TypeName == "Bundle")
            {
                bundle = n;
                break;
            }
        }
        if (bundle is null)
        {
            return null;
        }
        _bundleIndex ??= [];
        if (!_bundleIndex.TryGetValue(bundle, out var index))
        {
            index = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in bundle.Children)
            {
                if (entry.Name == "entry" && entry.Child("fullUrl")?.Text is { } fullUrl && entry.Child("resource") is { } resource)
                {
                    index.TryAdd(fullUrl, resource.TypeName);
                }
            }
            _bundleIndex[bundle] = index;
        }
        return index.GetValueOrDefault(reference);
    }
}
