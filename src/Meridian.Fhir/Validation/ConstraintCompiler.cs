using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Validation;

/// <summary>One error-severity constraint, ready to evaluate.</summary>
internal sealed class CompiledConstraint(Constraint constraint)
{
    public Constraint Constraint { get; } = constraint;
    public string Key => Constraint.Key;
}

/// <summary>
/// Selects the constraints a validator evaluates with FHIRPath and compiles each distinct
/// expression once. ele-1 and ext-1 are left out: they sit on nearly every element, and the
/// walk checks them natively with exactly the same meaning.
/// </summary>
internal sealed class ConstraintCompiler
{
    private readonly ConcurrentDictionary<string, CompiledConstraint> _byKeyAndExpression = new(StringComparer.Ordinal);

    public static bool IsNative(string key) => key is "ele-1" or "ext-1";

    public ImmutableArray<CompiledConstraint> For(ElementDefinition element)
    {
        ImmutableArray<CompiledConstraint>.Builder? list = null;
        foreach (var c in element.Constraints)
        {
            if (!c.IsError || IsNative(c.Key))
            {
                continue;
            }
            var compiled = _byKeyAndExpression.GetOrAdd(c.Key + "\u0000" + c.Expression, _ => new CompiledConstraint(c));
            (list ??= ImmutableArray.CreateBuilder<CompiledConstraint>()).Add(compiled);
        }
        return list?.ToImmutable() ?? [];
    }
}
