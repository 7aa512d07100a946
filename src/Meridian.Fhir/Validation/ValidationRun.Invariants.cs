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

    internal void EvaluateInvariants(FhirNode node, ImmutableArray<CompiledConstraint> constraints)
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
            if (c.Native is { } native)
            {
                result = native(node);
            }
            else if (InvariantGuard.AnyAbsent(node, c.Guard))
            {
                continue;
            }
            else
            {
                result = Evaluate(c, expression, node);
            }
            if (result == false)
            {
                Error(IssueType.Invariant, $"{c.Key}: {c.Constraint.Human}", node.Location, c.Key);
            }
        }
    }

    /// <summary>The invariant's value; null (not judged) when it is empty or cannot be evaluated.</summary>
    private bool? Evaluate(CompiledConstraint c, CompiledExpression expression, FhirNode node)
    {
        try
        {
            return expression.Predicate(node, ContextFor(node));
        }
        catch (Exception e) when (e is FhirPathException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            Unevaluable(c, e.Message);
            return null;
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
