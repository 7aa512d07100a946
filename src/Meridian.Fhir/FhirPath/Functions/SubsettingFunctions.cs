namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>single, first, last, tail, skip, take, intersect, exclude, union, combine.</summary>
internal static class SubsettingFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("single", input => input.Count <= 1 ? input : throw new FhirPathException($"single() expects at most one item but got {input.Count}"));
        b.Add("first", input => input.Count <= 1 ? input : [input[0]]);
        b.Add("last", input => input.Count <= 1 ? input : [input[^1]]);
        b.Add("tail", input => Range(input, 1, int.MaxValue));
        b.Add("skip", 1, 1, (s, input, args) => Items.SingleInteger(args[0](s), "skip()") is { } n ? Range(input, n, int.MaxValue) : input);
        b.Add("take", 1, 1, (s, input, args) => Items.SingleInteger(args[0](s), "take()") is { } n ? Range(input, 0, n) : Items.Empty);
        b.Add("intersect", 1, 1, (s, input, args) => Intersect(input, args[0](s), keep: true));
        b.Add("exclude", 1, 1, (s, input, args) => Intersect(input, args[0](s), keep: false));
        b.Add("union", 1, 1, (s, input, args) => Collections.Union(input, args[0](s)));
        b.Add("combine", 1, 1, (s, input, args) => Collections.Combine(input, args[0](s)));
    }

    private static IReadOnlyList<object> Range(IReadOnlyList<object> input, long start, long count)
    {
        if (start < 0) start = 0;
        if (start >= input.Count || count <= 0)
        {
            return Items.Empty;
        }
        var end = (int)Math.Min(input.Count, start + Math.Min(count, int.MaxValue));
        var result = new object[end - start];
        for (var i = (int)start; i < end; i++) result[i - start] = input[i];
        return result;
    }

    private static IReadOnlyList<object> Intersect(IReadOnlyList<object> input, IReadOnlyList<object> other, bool keep)
    {
        var result = new List<object>();
        for (var i = 0; i < input.Count; i++)
        {
            if (Collections.ContainsEqual(other, input[i]) == keep && !(keep && Collections.ContainsEqual(result, input[i])))
            {
                result.Add(input[i]);
            }
        }
        return Items.From(result);
    }
}
