using System.Collections.Frozen;
using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Validation;

/// <summary>
/// A cheap pre-check derived from an invariant's syntax tree: the names of child elements
/// whose absence alone makes the invariant true (or empty, which also passes). Most spec
/// invariants read "<c>x.empty() or ...</c>" or "<c>x.exists() implies ...</c>", and on real
/// data <c>x</c> is usually absent, so the FHIRPath evaluation is skipped for them. The
/// analysis is conservative: any construct it does not understand yields no guard names.
/// </summary>
internal static class InvariantGuard
{
    // Functions that return empty for an empty input collection.
    private static readonly FrozenSet<string> s_emptyPreserving = FrozenSet.Create(StringComparer.Ordinal,
        "where", "select", "ofType", "as", "first", "last", "tail", "skip", "take", "distinct", "trace",
        "children", "descendants", "repeat", "single", "extension", "resolve", "intersect", "exclude",
        "substring", "startsWith", "endsWith", "contains", "matches", "replaceMatches", "length", "lower",
        "upper", "replace", "indexOf", "toString", "toInteger", "toDecimal", "toDate", "toDateTime", "toTime",
        "toQuantity", "getValue", "abs", "ceiling", "floor", "round", "truncate", "ln", "exp", "sqrt");

    /// <summary>Child names any one of which, when absent from the focus, makes the invariant pass.</summary>
    public static ImmutableArray<string> PassIfAbsent(AstNode expression) => [.. PassIfAbsentSet(expression).Order(StringComparer.Ordinal)];

    /// <summary>True when one of <paramref name="names"/> is not a child of <paramref name="focus"/>.</summary>
    public static bool AnyAbsent(FhirNode focus, ImmutableArray<string> names)
    {
        foreach (var name in names)
        {
            if (focus.Child(name) is null)
            {
                return true;
            }
        }
        return false;
    }

    // Names whose absence makes the expression true or empty.
    private static HashSet<string> PassIfAbsentSet(AstNode e) => e switch
    {
        BinaryNode { Operator: "or" } b => Union(PassIfAbsentSet(b.Left), PassIfAbsentSet(b.Right)),
        BinaryNode { Operator: "and" } b => Intersect(PassIfAbsentSet(b.Left), PassIfAbsentSet(b.Right)),
        BinaryNode { Operator: "implies" } b => Union(FalseOrEmptyIfAbsent(b.Left), PassIfAbsentSet(b.Right)),
        FunctionNode { Name: "not", Source: { } s, Arguments.Length: 0 } => FalseOrEmptyIfAbsent(s),
        FunctionNode { Name: "empty" or "all", Source: { } s } => EmptyIfAbsent(s),
        _ => [],
    };

    // Names whose absence makes the expression false or empty.
    private static HashSet<string> FalseOrEmptyIfAbsent(AstNode e) => e switch
    {
        FunctionNode { Name: "exists" or "hasValue", Source: { } s } => EmptyIfAbsent(s),
        BinaryNode { Operator: "and" } b => Union(FalseOrEmptyIfAbsent(b.Left), FalseOrEmptyIfAbsent(b.Right)),
        BinaryNode { Operator: "or" } b => Intersect(FalseOrEmptyIfAbsent(b.Left), FalseOrEmptyIfAbsent(b.Right)),
        // Comparisons with an empty operand are empty (equivalence ~ is not: {} ~ {} is true).
        BinaryNode { Operator: "=" or "!=" or "<" or "<=" or ">" or ">=" } b => Union(EmptyIfAbsent(b.Left), EmptyIfAbsent(b.Right)),
        _ => EmptyIfAbsent(e),
    };

    // Names whose absence makes the expression empty.
    private static HashSet<string> EmptyIfAbsent(AstNode e) => e switch
    {
        // Element names start lower-case; an upper-case start is a type name (the focus itself).
        MemberNode { Source: null } m when m.Name.Length > 0 && char.IsAsciiLetterLower(m.Name[0]) => [m.Name],
        MemberNode { Source: { } s } => EmptyIfAbsent(s),
        FunctionNode { Source: { } s } f when s_emptyPreserving.Contains(f.Name) => EmptyIfAbsent(s),
        TypeOperatorNode { Operator: "as" } t => EmptyIfAbsent(t.Operand),
        IndexerNode i => EmptyIfAbsent(i.Source),
        BinaryNode { Operator: "|" } b => Intersect(EmptyIfAbsent(b.Left), EmptyIfAbsent(b.Right)),
        BinaryNode { Operator: "+" or "-" or "*" or "/" or "div" or "mod" } b => Union(EmptyIfAbsent(b.Left), EmptyIfAbsent(b.Right)),
        _ => [],
    };

    private static HashSet<string> Union(HashSet<string> a, HashSet<string> b)
    {
        a.UnionWith(b);
        return a;
    }

    private static HashSet<string> Intersect(HashSet<string> a, HashSet<string> b)
    {
        a.IntersectWith(b);
        return a;
    }
}
