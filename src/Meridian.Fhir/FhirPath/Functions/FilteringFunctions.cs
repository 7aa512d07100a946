namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>where, select, repeat, ofType, aggregate.</summary>
internal static class FilteringFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("where", 1, 1, Where);
        b.Add("select", 1, 1, Select);
        b.Add("repeat", 1, 1, Repeat);
        b.Add("ofType", 1, 1, (s, input, args) => Filters.OfType(input, (string)args[0](s)[0]), typeArgument: true);
        b.Add("aggregate", 1, 2, Aggregate);
    }

    private static IReadOnlyList<object> Where(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        if (input.Count == 0)
        {
            return Items.Empty;
        }
        var child = s.Child();
        var criteria = args[0];
        if (input.Count == 1)
        {
            // The input is already an immutable one-item collection: use it as $this directly.
            child.SetThis(input);
            return Items.SingleBool(criteria(child), "where()") == true ? input : Items.Empty;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            child.MoveTo(input[i], i);
            if (Items.SingleBool(criteria(child), "where()") == true)
            {
                (result ??= []).Add(input[i]);
            }
        }
        return result is null ? Items.Empty : result;
    }

    private static IReadOnlyList<object> Select(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        if (input.Count == 0)
        {
            return Items.Empty;
        }
        var child = s.Child();
        var projection = args[0];
        if (input.Count == 1)
        {
            child.MoveTo(input[0], 0);
            return projection(child);
        }
        var result = new List<object>(input.Count);
        for (var i = 0; i < input.Count; i++)
        {
            child.MoveTo(input[i], i);
            var r = projection(child);
            for (var k = 0; k < r.Count; k++) result.Add(r[k]);
        }
        return Items.From(result);
    }

    private static IReadOnlyList<object> Repeat(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var child = s.Child();
        var result = new List<object>();
        // Tree nodes are distinct elements: identity is enough and keeps repeat() linear on big
        // trees; System values (which can cycle, e.g. repeat('x')) use FHIRPath equality.
        var seenNodes = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<object>();
        for (var i = 0; i < input.Count; i++) queue.Enqueue(input[i]);
        while (queue.Count > 0)
        {
            var item = queue.Dequeue();
            child.MoveTo(item, 0);
            var next = args[0](child);
            for (var k = 0; k < next.Count; k++)
            {
                var n = next[k];
                var isNew = n is Model.FhirNode ? seenNodes.Add(n) : !Collections.ContainsEqual(result, n);
                if (isNew)
                {
                    result.Add(n);
                    queue.Enqueue(n);
                }
            }
        }
        return Items.From(result);
    }

    private static IReadOnlyList<object> Aggregate(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var child = s.Child();
        child.Total = args.Length > 1 ? args[1](s) : Items.Empty;
        for (var i = 0; i < input.Count; i++)
        {
            child.MoveTo(input[i], i);
            child.Total = args[0](child);
        }
        return child.Total;
    }
}
