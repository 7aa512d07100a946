using Meridian.Fhir.Specification;

namespace Meridian.Fhir.FhirPath;

/// <summary>
/// Compile-time type check of element paths. Where the type of a path is known (it starts with a
/// type name, or the caller names the context type) each member must exist on that type, so
/// <c>Observation.valueQuantity</c> or <c>(value as Period).unit</c> fail at compile time instead of
/// silently returning empty. Anything it cannot type (function results, abstract types, System
/// values) is "unknown" and never reported: the check only rejects what is certainly wrong.
/// </summary>
internal sealed class SemanticChecker(FhirSpec spec)
{
    // Functions whose result has the input's types.
    private static readonly HashSet<string> s_sameType = new(StringComparer.Ordinal)
    {
        "where", "first", "last", "single", "tail", "skip", "take", "distinct", "trace", "intersect", "exclude", "sort",
    };

    // Functions whose arguments are evaluated per input item.
    private static readonly HashSet<string> s_lambdas = new(StringComparer.Ordinal)
    {
        "where", "select", "all", "exists", "repeat", "aggregate", "sort", "trace",
    };

    // Functions whose result depends on the input order.
    private static readonly HashSet<string> s_ordered = new(StringComparer.Ordinal) { "first", "last", "tail", "skip", "take" };

    // Functions that keep the (un)orderedness of their input.
    private static readonly HashSet<string> s_orderPreserving = new(StringComparer.Ordinal)
    {
        "where", "select", "ofType", "distinct", "repeat", "trace",
    };

    public void Check(AstNode node, StructureType? context)
    {
        Infer(node, context is null ? null : [context]);
        if (context is not null)
        {
            // Strict (typed) compilation also rejects order-dependent functions on children() and
            // descendants(), whose order is undefined.
            CheckOrdering(node);
        }
    }

    private static void CheckOrdering(AstNode node)
    {
        switch (node)
        {
            case FunctionNode f:
                if (s_ordered.Contains(f.Name) && f.Source is { } src && IsUnordered(src))
                {
                    throw new FhirPathException($"{f.Name}() depends on order, but its input is unordered", f.Position);
                }
                if (f.Source is not null) CheckOrdering(f.Source);
                foreach (var a in f.Arguments) CheckOrdering(a);
                break;
            case IndexerNode ix:
                if (IsUnordered(ix.Source))
                {
                    throw new FhirPathException("Indexing depends on order, but the collection is unordered", ix.Position);
                }
                CheckOrdering(ix.Source);
                CheckOrdering(ix.Index);
                break;
            case MemberNode { Source: { } s }:
                CheckOrdering(s);
                break;
            case BinaryNode b:
                CheckOrdering(b.Left);
                CheckOrdering(b.Right);
                break;
            case UnaryNode u:
                CheckOrdering(u.Operand);
                break;
            case TypeOperatorNode t:
                CheckOrdering(t.Operand);
                break;
        }
    }

    private static bool IsUnordered(AstNode node) => node switch
    {
        FunctionNode { Name: "children" or "descendants" } => true,
        FunctionNode { Source: { } s } f when s_orderPreserving.Contains(f.Name) => IsUnordered(s),
        MemberNode { Source: { } s } => IsUnordered(s),
        _ => false,
    };

    private List<StructureType>? Infer(AstNode node, List<StructureType>? focus)
    {
        switch (node)
        {
            case MemberNode { Source: null } m when char.IsAsciiLetterUpper(m.Name[0]) && spec.FindType(m.Name) is { } type:
                if (focus is not null && !focus.Exists(f => f.IsA(type.Name) || type.IsA(f.Name)))
                {
                    throw new FhirPathException($"'{m.Name}' does not match the context type {string.Join("|", focus.Select(f => f.Name))}", m.Position);
                }
                return [type];
            case MemberNode m:
                return Member(m.Source is null ? focus : Infer(m.Source, focus), m.Name, m.Position);
            case FunctionNode f:
                {
                    var source = f.Source is null ? focus : Infer(f.Source, focus);
                    if (f.Name is "ofType" or "as" && f.Arguments.Length == 1)
                    {
                        return TypeNamed(f.Arguments[0]);
                    }
                    if (f.Name is not ("is"))
                    {
                        foreach (var arg in f.Arguments)
                        {
                            Infer(arg, s_lambdas.Contains(f.Name) ? source : focus);
                        }
                    }
                    return s_sameType.Contains(f.Name) ? source : null;
                }
            case TypeOperatorNode t:
                Infer(t.Operand, focus);
                return t.Operator == "as" ? Named(t.TypeName) : null;
            case IndexerNode ix:
                Infer(ix.Index, focus);
                return Infer(ix.Source, focus);
            case UnaryNode u:
                Infer(u.Operand, focus);
                return null;
            case BinaryNode b:
                {
                    var l = Infer(b.Left, focus);
                    var r = Infer(b.Right, focus);
                    return b.Operator == "|" && l is not null && r is not null ? [.. l, .. r] : null;
                }
            default:
                return null;
        }
    }

    private List<StructureType>? TypeNamed(AstNode arg) => arg switch
    {
        MemberNode { Source: null } m => Named(m.Name),
        MemberNode { Source: MemberNode { Source: null, Name: "FHIR" } } m => Named(m.Name),
        _ => null,
    };

    private List<StructureType>? Named(string qualified)
    {
        var (ns, name) = TypeSystem.Split(qualified);
        return ns is null or "FHIR" && spec.FindType(name) is { } t ? [t] : null;
    }

    private List<StructureType>? Member(List<StructureType>? types, string name, int position)
    {
        if (types is null)
        {
            return null;
        }
        var result = new List<StructureType>();
        var found = false;
        foreach (var t in types)
        {
            // Abstract types (Resource, DomainResource, Element) and primitives stand for subtypes or
            // System values whose members this check does not model.
            if (t.IsAbstract || t.Kind is TypeKind.Primitive or TypeKind.Logical)
            {
                return null;
            }
            if (t.FindByName(name) is not { } element)
            {
                continue;
            }
            found = true;
            if (element.Backbone is { } backbone)
            {
                result.Add(backbone);
                continue;
            }
            foreach (var tr in element.Types)
            {
                if (spec.FindType(tr.Code) is not { } child)
                {
                    return null;
                }
                result.Add(child);
            }
        }
        if (!found)
        {
            throw new FhirPathException($"'{name}' is not an element of {string.Join("|", types.Select(t => t.Name))}", position);
        }
        return result.Count == 0 ? null : result;
    }
}
