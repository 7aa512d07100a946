using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;

namespace Meridian.Fhir.Validation;

internal sealed partial class ValidationRun
{
    // The FHIRPath context of the resource being walked (%resource, %rootResource); replaced
    // when the walk enters a contained or Bundle entry resource.
    private EvaluationContext? _context;
    private HashSet<string>? _unevaluable;

    private EvaluationContext ContextFor(FhirNode node)
    {
        var resource = node.Resource;
        if (_context is not null && ReferenceEquals(_context.Resource, resource))
        {
            return _context;
        }
        // A contained resource's %rootResource is the resource that contains it.
        var root = resource;
        while (root is { Name: "contained" } && root.Parent?.Resource is { } outer)
        {
            root = outer;
        }
        return _context = new EvaluationContext { Resource = resource, RootResource = root };
    }

    private void EvaluateInvariants(FhirNode node, ImmutableArray<CompiledConstraint> constraints)
    {
        foreach (var c in constraints)
        {
            var expression = c.Expression;
            if (expression is null)
            {
                Unevaluable(c, c.CompileError);
                continue;
            }
            bool? result;
            try
            {
                result = expression.Predicate(node, ContextFor(node));
            }
            catch (Exception e) when (e is FhirPathException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
            {
                Unevaluable(c, e.Message);
                continue;
            }
            if (result == false)
            {
                Error(IssueType.Invariant, $"{c.Key}: {c.Constraint.Human}", node.Location, c.Key);
            }
        }
    }

    // An invariant the engine cannot evaluate is reported once per validation as a warning:
    // the resource is not judged on it, and the caller learns the check was skipped.
    private void Unevaluable(CompiledConstraint c, string? why)
    {
        if ((_unevaluable ??= new HashSet<string>(StringComparer.Ordinal)).Add(c.Key))
        {
            Add(new Issue(IssueSeverity.Warning, IssueType.NotSupported,
                $"Invariant {c.Key} could not be evaluated and was skipped: {why}", null, Source: c.Key));
        }
    }
}
