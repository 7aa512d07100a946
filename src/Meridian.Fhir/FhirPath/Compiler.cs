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
            case MemberNode { Source: null } m when char.IsAsciiLetterUpper(m.Name[0]) && engine.Spec.FindType(m.Name) is not null:
                {
                    // FHIR element names are lower-case, so a leading type name is only a type
                    // filter: no child scan (search expressions chain dozens of such branches).
                    var name = m.Name;
                    return s => Navigation.TypeStep(s.This, name);
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
            case BinaryNode { Operator: "|" } union:
                return CompileUnion(union);
            case BinaryNode bin:
                return Operators.Compile(bin.Operator, Compile(bin.Left), Compile(bin.Right));
            case TypeOperatorNode t:
                return CompileTypeOperator(t);
            case VariableNode v:
                return v.Name switch
                {
                    "this" => s => s.This,
                    "index" => s => Items.Integer(s.Index),
                    _ => s => s.Total ?? Items.Empty,
                };
            case ConstantNode c:
                return Constants.Compile(c.Name);
            default:
                throw new FhirPathException($"Unsupported expression node {node.GetType().Name}", node.Position);
        }
    }

    /// <summary>Flattens <c>a | b | c ...</c> into one n-ary union: one result list, not one per operator.</summary>
    private Evaluator CompileUnion(BinaryNode union)
    {
        var operands = new List<AstNode>();
        Flatten(union, operands);
        var branches = new Evaluator[operands.Count];
        for (var i = 0; i < branches.Length; i++) branches[i] = Compile(operands[i]);
        return s => Collections.UnionAll(s, branches);

        static void Flatten(AstNode n, List<AstNode> into)
        {
            if (n is BinaryNode { Operator: "|" } b)
            {
                Flatten(b.Left, into);
                Flatten(b.Right, into);
            }
            else
            {
                into.Add(n);
            }
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
        var type = t.TypeName;
        if (t.Operator == "is" && t.Operand is FunctionNode { Name: "resolve", Arguments.Length: 0 } resolve)
        {
            return CompileResolveIs(resolve, type);
        }
        var operand = Compile(t.Operand);
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

    /// <summary><c>x.resolve() is T</c> without materialising placeholder resources.</summary>
    private Evaluator CompileResolveIs(FunctionNode resolve, string type)
    {
        var source = resolve.Source is null ? null : Compile(resolve.Source);
        var (ns, name) = TypeSystem.Split(type);
        return s =>
        {
            var input = source is null ? s.This : source(s);
            if (input.Count != 1)
            {
                // Zero or several references: the general path gives the spec's answer (empty or an error).
                var resolved = Functions.FhirFunctions.ResolveAll(s, input);
                var item = Items.Single(resolved, "is");
                return item is null ? Items.Empty : Items.Bool(TypeSystem.Is(item, type));
            }
            var reference = Functions.FhirFunctions.ReferenceOf(input[0]);
            var target = reference is null ? null : Functions.ReferenceResolver.ResolveType(s, input[0] as FhirNode, reference);
            if (target is null)
            {
                return Items.Empty;
            }
            return Items.Bool(ns != "System" && (target.Name == name || target.IsA(name)));
        };
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
        if (f.Name == "sort")
        {
            return CompileSort(f);
        }
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

    private Evaluator CompileSort(FunctionNode f)
    {
        var keys = new Evaluator[f.Arguments.Length];
        var descending = new bool[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var arg = f.Arguments[i];
            if (arg is UnaryNode { Operator: "-" } u)
            {
                descending[i] = true;
                arg = u.Operand;
            }
            keys[i] = Compile(arg);
        }
        var source = f.Source is null ? null : Compile(f.Source);
        return s => Functions.SortFunction.Sort(s, source is null ? s.This : source(s), keys, descending);
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
