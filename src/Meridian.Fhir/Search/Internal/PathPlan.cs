using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

internal enum StepKind
{
    /// <summary>Children named <see cref="PathStep.Arg"/>.</summary>
    Child,
    /// <summary><c>name[n]</c>: the n-th child named <see cref="PathStep.Arg"/> (index in <see cref="PathStep.Number"/>).</summary>
    ChildAt,
    /// <summary><c>as T</c>, <c>as(T)</c>, <c>ofType(T)</c>: keep nodes of type T (or derived).</summary>
    OfType,
    /// <summary><c>where(resolve() is T)</c>: keep references whose target is a T.</summary>
    WhereResolveIs,
    /// <summary><c>where(name='literal')</c>.</summary>
    WhereChildEquals,
    /// <summary><c>where(hasExtension('url'))</c>.</summary>
    WhereHasExtension,
    /// <summary><c>extension('url')</c>.</summary>
    Extension,
    /// <summary>A leading type name (<c>Patient</c> in <c>Patient.name</c>): keep the focus if it is one.</summary>
    FocusIs,
    /// <summary><c>%resource</c>: continue from the resource being indexed.</summary>
    Resource,
}

internal readonly record struct PathStep(StepKind Kind, string Arg, string? Arg2 = null, int Number = 0);

/// <summary>
/// A compiled search expression in the navigation-only subset of FHIRPath that nearly all
/// R4 search parameters use: unions of dotted paths with type filters, <c>extension(url)</c>
/// and simple <c>where()</c> filters. Evaluation walks the tree depth first and appends to a
/// caller's list, so a selection allocates nothing. Anything outside the subset is left to
/// the general FHIRPath engine (see <see cref="PathPlanParser"/>).
/// </summary>
internal sealed class PathPlan(ImmutableArray<ImmutableArray<PathStep>> branches, ValueConverter references, FhirSpec spec) : INodeSelector
{
    public string Engine => "path";

    public ImmutableArray<ImmutableArray<PathStep>> Branches { get; } = branches;

    public void Select(FhirNode focus, FhirNode resource, List<FhirNode> output)
    {
        foreach (var branch in Branches)
        {
            Walk(branch.AsSpan(), focus, resource, output);
        }
    }

    private void Walk(ReadOnlySpan<PathStep> steps, FhirNode node, FhirNode resource, List<FhirNode> output)
    {
        if (steps.Length == 0)
        {
            output.Add(node);
            return;
        }
        var step = steps[0];
        var rest = steps[1..];
        switch (step.Kind)
        {
            case StepKind.Child:
                foreach (var c in node.Children)
                {
                    if (c.Name == step.Arg)
                    {
                        Walk(rest, c, resource, output);
                    }
                }
                break;
            case StepKind.ChildAt:
                foreach (var c in node.Children)
                {
                    if (c.Name == step.Arg && c.Index == step.Number)
                    {
                        Walk(rest, c, resource, output);
                        break;
                    }
                }
                break;
            case StepKind.OfType:
                if (IsOfType(node, step.Arg))
                {
                    Walk(rest, node, resource, output);
                }
                break;
            case StepKind.FocusIs:
                if (node.Type?.IsA(step.Arg) == true)
                {
                    Walk(rest, node, resource, output);
                }
                break;
            case StepKind.Resource:
                Walk(rest, resource, resource, output);
                break;
            case StepKind.WhereResolveIs:
                if (TargetTypeOf(node, resource) is { } target && spec.FindType(target)?.IsA(step.Arg) == true)
                {
                    Walk(rest, node, resource, output);
                }
                break;
            case StepKind.WhereChildEquals:
                foreach (var c in node.Children)
                {
                    if (c.Name == step.Arg && c.Text == step.Arg2)
                    {
                        Walk(rest, node, resource, output);
                        break;
                    }
                }
                break;
            case StepKind.WhereHasExtension:
                if (FindExtension(node, step.Arg) is not null)
                {
                    Walk(rest, node, resource, output);
                }
                break;
            case StepKind.Extension:
                foreach (var c in node.Children)
                {
                    if (c.Name == "extension" && c.Child("url")?.Text == step.Arg)
                    {
                        Walk(rest, c, resource, output);
                    }
                }
                break;
        }
    }

    /// <summary>FHIRPath type tests accept derived types (Age is a Quantity); primitive names are
    /// matched case-insensitively because the spec's expressions mix FHIR and System names
    /// (<c>value.as(DateTime)</c> on a FHIR dateTime).</summary>
    private static bool IsOfType(FhirNode node, string type) =>
        node.Type?.IsA(type) == true
        || (node.IsPrimitive && string.Equals(node.TypeName, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>What <c>resolve()</c> would return the type of, without resolving: the type named
    /// by the reference, by a contained target, or by Reference.type.</summary>
    private string? TargetTypeOf(FhirNode node, FhirNode resource)
    {
        if (node.TypeName != "Reference")
        {
            return null;
        }
        if (node.Child("reference")?.Text is { Length: > 0 } reference
            && references.TargetType(reference, resource) is { } type)
        {
            return type;
        }
        return node.Child("type")?.Text is { } uri ? uri[(uri.LastIndexOf('/') + 1)..] : null;
    }

    private static FhirNode? FindExtension(FhirNode node, string url)
    {
        foreach (var c in node.Children)
        {
            if (c.Name == "extension" && c.Child("url")?.Text == url)
            {
                return c;
            }
        }
        return null;
    }
}
