namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>empty, exists, all, allTrue/anyTrue/allFalse/anyFalse, subsetOf/supersetOf, count, distinct, isDistinct, not.</summary>
internal static class ExistenceFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("empty", input => Items.Bool(input.Count == 0));
        b.Add("exists", 0, 1, Exists);
        b.Add("all", 1, 1, All);
        b.Add("allTrue", input => Items.Bool(AllBool(input, true, "allTrue")));
        b.Add("allFalse", input => Items.Bool(AllBool(input, false, "allFalse")));
        b.Add("anyTrue", input => Items.Bool(AnyBool(input, true, "anyTrue")));
        b.Add("anyFalse", input => Items.Bool(AnyBool(input, false, "anyFalse")));
        b.Add("subsetOf", 1, 1, (s, input, args) => Items.Bool(Subset(input, args[0](s))));
        b.Add("supersetOf", 1, 1, (s, input, args) => Items.Bool(Subset(args[0](s), input)));
        b.Add("count", input => Items.Integer(input.Count));
        b.Add("distinct", Collections.Distinct);
        b.Add("isDistinct", input => Items.Bool(Collections.Distinct(input).Count == input.Count));
        b.Add("not", input => Items.SingleBool(input, "not()") is { } v ? Items.Bool(!v) : Items.Empty);
    }

    private static IReadOnlyList<object> Exists(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        if (args.Length == 0)
        {
            return Items.Bool(input.Count > 0);
        }
        var child = s.Child();
        for (var i = 0; i < input.Count; i++)
        {
            child.MoveTo(input[i], i);
            if (Items.SingleBool(args[0](child), "exists()") == true)
            {
                return Items.True;
            }
        }
        return Items.False;
    }

    private static IReadOnlyList<object> All(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var child = s.Child();
        for (var i = 0; i < input.Count; i++)
        {
            child.MoveTo(input[i], i);
            if (Items.SingleBool(args[0](child), "all()") != true)
            {
                return Items.False;
            }
        }
        return Items.True;
    }

    private static bool AllBool(IReadOnlyList<object> input, bool expected, string name)
    {
        for (var i = 0; i < input.Count; i++)
        {
            if (AsBool(input[i], name) != expected)
            {
                return false;
            }
        }
        return true;
    }

    private static bool AnyBool(IReadOnlyList<object> input, bool expected, string name)
    {
        for (var i = 0; i < input.Count; i++)
        {
            if (AsBool(input[i], name) == expected)
            {
                return true;
            }
        }
        return false;
    }

    private static bool AsBool(object item, string name) => SystemValues.ToSystem(item) is bool b
        ? b
        : throw new FhirPathException($"{name} expects Booleans but got {SystemValues.TypeNameOf(SystemValues.ToSystem(item))}");

    private static bool Subset(IReadOnlyList<object> sub, IReadOnlyList<object> super)
    {
        for (var i = 0; i < sub.Count; i++)
        {
            if (!Collections.ContainsEqual(super, sub[i]))
            {
                return false;
            }
        }
        return true;
    }
}
