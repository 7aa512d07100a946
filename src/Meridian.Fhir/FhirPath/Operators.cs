namespace Meridian.Fhir.FhirPath;

/// <summary>Binary operators compiled to closures: logic with three-valued semantics, equality,
/// comparison, membership, union and math.</summary>
internal static class Operators
{
    public static Evaluator Compile(string op, Evaluator left, Evaluator right) => op switch
    {
        "and" => s =>
        {
            var l = Items.SingleBool(left(s), "and");
            if (l == false) return Items.False;
            var r = Items.SingleBool(right(s), "and");
            if (r == false) return Items.False;
            return l == true && r == true ? Items.True : Items.Empty;
        },
        "or" => s =>
        {
            var l = Items.SingleBool(left(s), "or");
            if (l == true) return Items.True;
            var r = Items.SingleBool(right(s), "or");
            if (r == true) return Items.True;
            return l == false && r == false ? Items.False : Items.Empty;
        },
        "xor" => s =>
        {
            var l = Items.SingleBool(left(s), "xor");
            var r = Items.SingleBool(right(s), "xor");
            return l is null || r is null ? Items.Empty : Items.Bool(l != r);
        },
        "implies" => s =>
        {
            var l = Items.SingleBool(left(s), "implies");
            if (l == false) return Items.True;
            var r = Items.SingleBool(right(s), "implies");
            if (r == true) return Items.True;
            return l == true && r == false ? Items.False : Items.Empty;
        },
        "=" => s => Items.Bool(Equality.CollectionEquals(left(s), right(s))),
        "!=" => s => Items.Bool(!Equality.CollectionEquals(left(s), right(s))),
        "~" => s => Items.Bool(Equality.CollectionEquivalent(left(s), right(s))),
        "!~" => s => Items.Bool(!Equality.CollectionEquivalent(left(s), right(s))),
        "<" or ">" or "<=" or ">=" => CompileComparison(op, left, right),
        "|" => s => Collections.Union(left(s), right(s)),
        "in" => s => Membership(left(s), right(s), "in"),
        "contains" => s => Membership(right(s), left(s), "contains"),
        _ => s => Arithmetic.Apply(op, left(s), right(s)),
    };

    private static Evaluator CompileComparison(string op, Evaluator left, Evaluator right)
    {
        Func<int, bool> test = op switch
        {
            "<" => c => c < 0,
            ">" => c => c > 0,
            "<=" => c => c <= 0,
            _ => c => c >= 0,
        };
        return s =>
        {
            var l = Items.Single(left(s), op);
            var r = Items.Single(right(s), op);
            if (l is null || r is null)
            {
                return Items.Empty;
            }
            var c = Comparison.Compare(l, r);
            return c is { } v ? Items.Bool(test(v)) : Items.Empty;
        };
    }

    /// <summary><c>item in collection</c>: empty item → empty; more than one item → error.</summary>
    private static IReadOnlyList<object> Membership(IReadOnlyList<object> item, IReadOnlyList<object> collection, string op)
    {
        var x = Items.Single(item, op);
        if (x is null)
        {
            return Items.Empty;
        }
        for (var i = 0; i < collection.Count; i++)
        {
            if (Equality.ItemEquals(x, collection[i]) == true)
            {
                return Items.True;
            }
        }
        return Items.False;
    }
}
