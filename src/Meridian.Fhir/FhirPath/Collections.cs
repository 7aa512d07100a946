namespace Meridian.Fhir.FhirPath;

/// <summary>Set-like operations using FHIRPath equality.</summary>
internal static class Collections
{
    public static bool ContainsEqual(IReadOnlyList<object> c, object item, int count = -1)
    {
        var n = count < 0 ? c.Count : count;
        for (var i = 0; i < n; i++)
        {
            if (Equality.ItemEquals(c[i], item) == true)
            {
                return true;
            }
        }
        return false;
    }

    public static IReadOnlyList<object> Distinct(IReadOnlyList<object> input)
    {
        if (input.Count <= 1)
        {
            return input;
        }
        var result = new List<object>(input.Count);
        for (var i = 0; i < input.Count; i++)
        {
            if (!ContainsEqual(result, input[i]))
            {
                result.Add(input[i]);
            }
        }
        return result;
    }

    public static IReadOnlyList<object> Union(IReadOnlyList<object> a, IReadOnlyList<object> b)
    {
        var result = new List<object>(a.Count + b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            if (!ContainsEqual(result, a[i])) result.Add(a[i]);
        }
        for (var i = 0; i < b.Count; i++)
        {
            if (!ContainsEqual(result, b[i])) result.Add(b[i]);
        }
        return Items.From(result);
    }

    /// <summary>Union of several operands. The common case of a single non-empty single-item
    /// branch returns that branch's collection without copying.</summary>
    public static IReadOnlyList<object> UnionAll(Scope s, Evaluator[] branches)
    {
        IReadOnlyList<object>? only = null;
        List<object>? result = null;
        for (var b = 0; b < branches.Length; b++)
        {
            var items = branches[b](s);
            if (items.Count == 0)
            {
                continue;
            }
            if (only is null && result is null && items.Count == 1)
            {
                only = items;
                continue;
            }
            if (result is null)
            {
                result = new List<object>(items.Count + 2);
                if (only is not null)
                {
                    result.Add(only[0]);
                    only = null;
                }
            }
            for (var i = 0; i < items.Count; i++)
            {
                if (!ContainsEqual(result, items[i]))
                {
                    result.Add(items[i]);
                }
            }
        }
        return result ?? only ?? Items.Empty;
    }

    public static IReadOnlyList<object> Combine(IReadOnlyList<object> a, IReadOnlyList<object> b)
    {
        if (a.Count == 0) return b;
        if (b.Count == 0) return a;
        var result = new List<object>(a.Count + b.Count);
        for (var i = 0; i < a.Count; i++) result.Add(a[i]);
        for (var i = 0; i < b.Count; i++) result.Add(b[i]);
        return result;
    }
}

/// <summary>Type filtering shared by ofType() and the 'as' operator.</summary>
internal static class Filters
{
    public static IReadOnlyList<object> OfType(IReadOnlyList<object> input, string type)
    {
        if (input.Count == 1)
        {
            return TypeSystem.Is(input[0], type, exactPrimitive: true) ? input : Items.Empty;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            if (TypeSystem.Is(input[i], type, exactPrimitive: true))
            {
                (result ??= []).Add(input[i]);
            }
        }
        return result is null ? Items.Empty : result;
    }
}
