using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.FhirPath;

/// <summary>A compiled expression node: evaluates against a scope and returns a collection.
/// Returned collections are never mutated afterwards, so literals may share their arrays.</summary>
internal delegate IReadOnlyList<object> Evaluator(Scope scope);

/// <summary>A built-in function: the input collection and the compiled (unevaluated) arguments.
/// Functions evaluate their arguments themselves so lambdas (where, select...) can run them per item.</summary>
internal delegate IReadOnlyList<object> FunctionImpl(Scope scope, IReadOnlyList<object> input, Evaluator[] args);

/// <summary>
/// Evaluation state: the focus ($this, $index, $total) and the per-evaluation environment.
/// One root scope per Evaluate call; lambdas create one child scope per call and move it across
/// items.
/// </summary>
internal sealed class Scope
{
    private readonly Scope? _root;

    public Scope(FhirPathEngine engine, FhirNode focus, EvaluationContext? context)
    {
        Engine = engine;
        Context = context;
        Focus = focus;
        This = [focus];
    }

    private Scope(Scope parent)
    {
        _root = parent.Root;
        Engine = parent.Engine;
        Context = parent.Context;
        Focus = parent.Focus;
        This = Items.Empty;
        Total = parent.Total;
    }

    private Scope Root => _root ?? this;

    public FhirPathEngine Engine { get; }
    public FhirSpec Spec => Engine.Spec;
    public EvaluationContext? Context { get; }

    /// <summary>The node Evaluate was called on (%context).</summary>
    public FhirNode Focus { get; }

    public IReadOnlyList<object> This { get; private set; }
    public long Index { get; private set; }
    public IReadOnlyList<object>? Total { get; set; }

    /// <summary>A scope for running a lambda argument over items; call <see cref="MoveTo"/> per item.</summary>
    public Scope Child() => new(this);

    public void MoveTo(object item, long index)
    {
        // A fresh array per item: results may alias $this (select($this), first()), so it must not change later.
        This = [item];
        Index = index;
    }

    public void SetThis(IReadOnlyList<object> items) => This = items;

    public FhirNode? Resource => Context?.Resource ?? Focus.Resource ?? Focus;

    /// <summary>%rootResource: the container of a contained resource, otherwise %resource itself
    /// (a Bundle entry's resource is its own root: entries are not contained).</summary>
    public FhirNode? RootResource
    {
        get
        {
            if (Context?.RootResource is { } r)
            {
                return r;
            }
            var top = Resource;
            while (top is { Name: "contained", Parent: { } p } && p.Resource is { } container)
            {
                top = container;
            }
            return top;
        }
    }
}
