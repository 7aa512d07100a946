using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Validation;

/// <summary>One error-severity constraint, compiled on first use (once per validator).</summary>
internal sealed class CompiledConstraint
{
    private readonly Lazy<Compiled> _compiled;

    private sealed record Compiled(CompiledExpression? Expression, string? Error, ImmutableArray<string> Guard, Func<FhirNode, bool>? Native);

    public CompiledConstraint(Constraint constraint, FhirPathEngine engine)
    {
        Constraint = constraint;
        _compiled = new(() => engine.TryCompile(constraint.Expression, out var c, out var error)
                ? new Compiled(c, null, InvariantGuard.PassIfAbsent(c!.Syntax), NativeInvariants.Compile(constraint.Key, constraint.Expression, c.Syntax))
                : new Compiled(null, error, [], null),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public Constraint Constraint { get; }
    public string Key => Constraint.Key;

    /// <summary>The compiled expression, or null when the engine cannot compile it (see <see cref="CompileError"/>).</summary>
    public CompiledExpression? Expression => _compiled.Value.Expression;
    public string? CompileError => _compiled.Value.Error;

    /// <summary>Child names whose absence alone makes the constraint pass (see <see cref="InvariantGuard"/>).</summary>
    public ImmutableArray<string> Guard => _compiled.Value.Guard;

    /// <summary>An allocation-free predicate with the same result, when the expression allows one (<see cref="NativeInvariants"/>).</summary>
    public Func<FhirNode, bool>? Native => _compiled.Value.Native;
}

/// <summary>
/// Selects the constraints a validator evaluates with FHIRPath and shares one compiled
/// instance per distinct (key, expression). ele-1 and ext-1 are left out: they sit on nearly
/// every element, and the walk checks them natively with exactly the same meaning.
/// </summary>
internal sealed class ConstraintCompiler(FhirPathEngine engine)
{
    private readonly ConcurrentDictionary<string, CompiledConstraint> _byKeyAndExpression = new(StringComparer.Ordinal);

    public static bool IsNative(string key) => key is "ele-1" or "ext-1" or "ref-1" or "dom-2" or "dom-3" or "dom-4" or "dom-5";

    // R4 invariants whose published expression does not say what their text means, replaced
    // by the expression later versions corrected them to (docs/conformance.md).
    // Only the exact R4 text is replaced, so a profile's own constraint with the key is kept.
    private static readonly Dictionary<string, (string R4, string Corrected)> s_errata = new(StringComparer.Ordinal)
    {
        // "Boolean" is System.Boolean, which a FHIR boolean is not; R4B and R5 test the FHIR type.
        ["que-7"] = (
            "operator = 'exists' implies (answer is Boolean)",
            "operator = 'exists' implies (answer is boolean)"),
        // "in" takes one item, and when repeats: R5 tests each when.
        ["tim-9"] = (
            "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))",
            "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV')).allFalse())"),
        // The rule reads "more than one enableWhen"; the R4 text counts from three (R4B: > 1).
        ["que-12"] = (
            "enableWhen.count() > 2 implies enableBehavior.exists()",
            "enableWhen.count() > 1 implies enableBehavior.exists()"),
        // A parameter typed with a resource type may carry a targetProfile too (R4B's text).
        ["opd-3"] = (
            "targetProfile.exists() implies (type = 'Reference' or type = 'canonical')",
            "targetProfile.exists() implies (type = 'Reference' or type = 'canonical' or type.memberOf('http://hl7.org/fhir/ValueSet/resource-types'))"),
    };

    private static Constraint Corrected(Constraint c) =>
        s_errata.TryGetValue(c.Key, out var fix) && fix.R4 == c.Expression ? c with { Expression = fix.Corrected } : c;

    public ImmutableArray<CompiledConstraint> For(ElementDefinition element)
    {
        ImmutableArray<CompiledConstraint>.Builder? list = null;
        foreach (var c in element.Constraints)
        {
            if (!c.IsError || IsNative(c.Key))
            {
                continue;
            }
            var compiled = _byKeyAndExpression.GetOrAdd(c.Key + "\u0000" + c.Expression, _ => new CompiledConstraint(Corrected(c), engine));
            (list ??= ImmutableArray.CreateBuilder<CompiledConstraint>()).Add(compiled);
        }
        return list?.ToImmutable() ?? [];
    }
}
