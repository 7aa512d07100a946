using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>A parsed and compiled FHIRPath expression; immutable and safe to evaluate concurrently.</summary>
public sealed class CompiledExpression
{
    private readonly FhirPathEngine _engine;
    private readonly Evaluator _root;

    internal CompiledExpression(FhirPathEngine engine, string expression, AstNode syntax, Evaluator root)
    {
        _engine = engine;
        Expression = expression;
        Syntax = syntax;
        _root = root;
    }

    public string Expression { get; }

    /// <summary>The syntax tree the expression was compiled from.</summary>
    public AstNode Syntax { get; }

    /// <summary>Evaluates against <paramref name="focus"/>. Items are <see cref="FhirNode"/>s or System values
    /// (string, bool, long, decimal, FhirPathDate/DateTime/Time, FhirPathQuantity).
    /// Throws <see cref="FhirPathException"/> on execution errors (e.g. single() on many items).</summary>
    public IReadOnlyList<object> Evaluate(FhirNode focus, EvaluationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(focus);
        return _root(new Scope(_engine, focus, context));
    }

    /// <summary>The node items of the result (System values are skipped).</summary>
    public IEnumerable<FhirNode> Select(FhirNode focus, EvaluationContext? context = null)
    {
        var result = Evaluate(focus, context);
        for (var i = 0; i < result.Count; i++)
        {
            if (result[i] is FhirNode n)
            {
                yield return n;
            }
        }
    }

    /// <summary>The result as a boolean: empty → null, a single Boolean → its value, any other non-empty result → true.</summary>
    public bool? Predicate(FhirNode focus, EvaluationContext? context = null)
    {
        var result = Evaluate(focus, context);
        if (result.Count == 0)
        {
            return null;
        }
        if (result.Count == 1 && SystemValues.ToSystem(result[0]) is bool b)
        {
            return b;
        }
        return true;
    }

    public override string ToString() => Expression;
}
