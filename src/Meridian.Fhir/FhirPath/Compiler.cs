using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>Turns the syntax tree into a tree of closures once; evaluation then only runs delegates.</summary>
internal sealed class Compiler(FhirPathEngine engine)
{
    public Evaluator Compile(AstNode node)
    {
        switch (node)
        {
            case LiteralNode lit:
                {
                    IReadOnlyList<object> value = lit.Value is null ? Items.Empty : lit.Value is bool b ? Items.Bool(b) : [lit.Value];
                    return _ => value;
                }
            case MemberNode { Source: null } m:
                {
                    var name = m.Name;
                    return s => Navigation.Children(s.This, name, true);
                }
            case MemberNode m:
                {
                    var source = Compile(m.Source!);
                    var name = m.Name;
                    return s => Navigation.Children(source(s), name, false);
                }
            case FunctionNode f:
                return CompileFunction(f);
            case IndexerNode ix:
                return CompileIndexer(ix);
            case UnaryNode u:
                {
                    var operand = Compile(u.Operand);
                    return u.Operator == "-" ? s => Arithmetic.Negate(operand(s)) : s => Arithmetic.Plus(operand(s));
                }
            case BinaryNode bin:
                return Operators.Compile(bin.Operator, Compile(bin.Left), Compile(bin.Right));
            case TypeOperatorNode t:
                return CompileTypeOperator(t);
            case VariableNode v:
                return v.Name switch
                {
                    "this" => s => s.This,
                    "index" => s => [s.Index],
                    _ => s => s.Total ?? Items.Empty,
                };
            case ConstantNode c:
                return Constants.Compile(c.Name);
            default:
                throw new FhirPathException($"Unsupported expression node {node.GetType().Name}", node.Position);
        }
    }

    private Evaluator CompileIndexer(IndexerNode ix)
    {
        var source = Compile(ix.Source);
        var index = Compile(ix.Index);
        return s =>
        {
            var items = source(s);
            var i = Items.SingleInteger(index(s), "indexer");
            return i is { } n && n >= 0 && n < items.Count ? [items[(int)n]] : Items.Empty;
        };
    }

    private Evaluator CompileTypeOperator(TypeOperatorNode t)
    {
        CheckType(t.TypeName, t.Position);
        var operand = Compile(t.Operand);
        var type = t.TypeName;
        if (t.Operator == "is")
        {
            return s =>
            {
                var item = Items.Single(operand(s), "is");
                return item is null ? Items.Empty : Items.Bool(TypeSystem.Is(item, type));
            };
        }
        // 'as' filters a whole collection: R4 search parameters apply it to repeating elements
        // (e.g. useContext.value as CodeableConcept), which a strict singleton rule would break.
        return s => Filters.OfType(operand(s), type);
    }

    private void CheckType(string type, int position)
    {
        if (!TypeSystem.IsKnownType(type, engine.Spec))
        {
            throw new FhirPathException($"Unknown type '{type}'", position);
        }
    }

    private Evaluator CompileFunction(FunctionNode f)
    {
        if (!engine.Functions.TryGet(f.Name, out var def))
        {
            throw new FhirPathException($"Unknown function '{f.Name}'", f.Position);
        }
        if (f.Arguments.Length < def.MinArgs || f.Arguments.Length > def.MaxArgs)
        {
            throw new FhirPathException(
                $"Function '{f.Name}' takes {(def.MinArgs == def.MaxArgs ? def.MinArgs.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{def.MinArgs} to {def.MaxArgs}")} argument(s), got {f.Arguments.Length}",
                f.Position);
        }
        var args = new Evaluator[f.Arguments.Length];
        for (var i = 0; i < args.Length; i++)
        {
            if (def.TypeArgument)
            {
                var type = TypeSpecifier(f.Arguments[i]);
                CheckType(type, f.Arguments[i].Position);
                IReadOnlyList<object> typeName = [type];
                args[i] = _ => typeName;
            }
            else
            {
                args[i] = Compile(f.Arguments[i]);
            }
        }
        var impl = def.Impl;
        if (f.Source is null)
        {
            return s => impl(s, s.This, args);
        }
        var source = Compile(f.Source);
        return s => impl(s, source(s), args);
    }

    /// <summary>Reads a type name written as a function argument (is(FHIR.Patient)).</summary>
    private static string TypeSpecifier(AstNode node) => node switch
    {
        MemberNode { Source: null } m => m.Name,
        MemberNode { Source: { } src } m => TypeSpecifier(src) + "." + m.Name,
        _ => throw new FhirPathException("Expected a type name", node.Position),
    };
}

/// <summary>%constants: FHIR environment variables, well-known URLs and host-supplied variables.</summary>
internal static class Constants
{
    public static Evaluator Compile(string name)
    {
        switch (name)
        {
            case "resource":
                return s => Node(s.Resource);
            case "rootResource":
                return s => Node(s.RootResource);
            case "context":
                return s => [s.Focus];
            case "ucum":
                return Fixed(name, "http://unitsofmeasure.org");
            case "sct":
                return Fixed(name, "http://snomed.info/sct");
            case "loinc":
                return Fixed(name, "http://loinc.org");
        }
        if (name.StartsWith("vs-", StringComparison.Ordinal))
        {
            return Fixed(name, "http://hl7.org/fhir/ValueSet/" + name[3..]);
        }
        if (name.StartsWith("ext-", StringComparison.Ordinal))
        {
            return Fixed(name, "http://hl7.org/fhir/StructureDefinition/" + name[4..]);
        }
        return s => FromVariables(s, name);
    }

    private static Evaluator Fixed(string name, string value)
    {
        IReadOnlyList<object> c = [value];
        // A host variable of the same name wins over the built-in value.
        return s => s.Context?.Variables is { } v && v.ContainsKey(name) ? FromVariables(s, name) : c;
    }

    private static IReadOnlyList<object> Node(FhirNode? n) => n is null ? Items.Empty : [n];

    private static IReadOnlyList<object> FromVariables(Scope s, string name)
    {
        if (s.Context?.Variables is { } vars && vars.TryGetValue(name, out var value))
        {
            return value switch
            {
                null => Items.Empty,
                IReadOnlyList<object> list => list,
                _ => [value],
            };
        }
        throw new FhirPathException($"Unknown external constant '%{name}'");
    }
}
