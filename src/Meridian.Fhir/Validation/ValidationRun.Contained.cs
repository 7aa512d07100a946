using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;

namespace Meridian.Fhir.Validation;

internal sealed partial class ValidationRun
{
    /// <summary>
    /// dom-2..dom-5, natively: they are on every DomainResource and all are about contained
    /// resources, so a resource without any (nearly all) costs one scan of its children.
    /// </summary>
    private void CheckContained(FhirNode resource)
    {
        bool any = false, nested = false, versioned = false, labelled = false;
        foreach (var c in resource.Children)
        {
            if (c.Name != "contained")
            {
                continue;
            }
            any = true;
            var meta = c.Child("meta");
            // dom-2 "contained.contained.empty()"
            nested |= c.Child("contained") is not null;
            // dom-4 "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"
            versioned |= meta is not null && (meta.Child("versionId") is not null || meta.Child("lastUpdated") is not null);
            // dom-5 "contained.meta.security.empty()"
            labelled |= meta?.Child("security") is not null;
        }
        if (!any)
        {
            return;
        }
        if (nested)
        {
            Error(IssueType.Invariant, "dom-2: If the resource is contained in another resource, it SHALL NOT contain nested Resources", resource.Location, "dom-2");
        }
        if (!AllContainedReferenced(resource))
        {
            Error(IssueType.Invariant, "dom-3: If the resource is contained in another resource, it SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource", resource.Location, "dom-3");
        }
        if (versioned)
        {
            Error(IssueType.Invariant, "dom-4: If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a meta.lastUpdated", resource.Location, "dom-4");
        }
        if (labelled)
        {
            Error(IssueType.Invariant, "dom-5: If a resource is contained in another resource, it SHALL NOT have a security label", resource.Location, "dom-5");
        }
    }

    // dom-3 as corrected in R5: every contained resource with an id is referenced as '#id' by a
    // Reference.reference or a uri-typed value (uri, url, canonical, oid, uuid) anywhere in the
    // resource, or itself refers to its container with '#' (a reference or a canonical).
    private bool AllContainedReferenced(FhirNode resource)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        CollectLocalTargets(resource, targets);
        foreach (var c in resource.Children)
        {
            if (c.Name == "contained" && c.ResourceId is { } id && !targets.Contains("#" + id) && !RefersToContainer(c))
            {
                return false;
            }
        }
        return true;
    }

    private static void CollectLocalTargets(FhirNode node, HashSet<string> into)
    {
        foreach (var c in node.Children)
        {
            if (c.Text is { Length: > 0 } text && text[0] == '#' && (c.Name == "reference" || IsUriTyped(c)))
            {
                into.Add(text);
            }
            CollectLocalTargets(c, into);
        }
    }

    private static bool RefersToContainer(FhirNode node)
    {
        foreach (var c in node.Children)
        {
            if (c.Text == "#" && (c.Name == "reference" || c.TypeName == "canonical"))
            {
                return true;
            }
            if (RefersToContainer(c))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsUriTyped(FhirNode node) => node.TypeName is "uri" or "url" or "canonical" or "oid" or "uuid";
}
