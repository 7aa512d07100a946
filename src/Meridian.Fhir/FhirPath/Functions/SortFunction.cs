namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>
/// sort(keys...): a key written as <c>-expr</c> sorts descending. The sign is a syntactic marker
/// (strings cannot be negated), so the compiler hands the keys over already split into
/// expression and direction.
/// </summary>
internal static class SortFunction
{
    public static IReadOnlyList<object> Sort(Scope s, IReadOnlyList<object> input, Evaluator[] keys, bool[] descending)
    {
        if (input.Count <= 1)
        {
            return input;
        }
        var child = s.Child();
        var rows = new (object Item, object?[] Keys)[input.Count];
        for (var i = 0; i < input.Count; i++)
        {
            var k = new object?[Math.Max(keys.Length, 1)];
            if (keys.Length == 0)
            {
                k[0] = SystemValues.ToSystem(input[i]);
            }
            else
            {
                child.MoveTo(input[i], i);
                for (var j = 0; j < keys.Length; j++)
                {
                    k[j] = Items.SingleValue(keys[j](child), "sort()");
                }
            }
            rows[i] = (input[i], k);
        }
        var sorted = rows.OrderBy(r => r.Keys, new KeyComparer(descending)).ToArray();
        var result = new object[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) result[i] = sorted[i].Item;
        return result;
    }

    private sealed class KeyComparer(bool[] descending) : IComparer<object?[]>
    {
        public int Compare(object?[]? x, object?[]? y)
        {
            for (var i = 0; i < x!.Length; i++)
            {
                var a = x[i];
                var b = y![i];
                // Empty keys sort first.
                if (a is null || b is null)
                {
                    // Empty keys sort first in either direction.
                    if (a is null != b is null)
                    {
                        return a is null ? -1 : 1;
                    }
                    continue;
                }
                var c = Comparison.Compare(a, b) ?? 0;
                if (c != 0)
                {
                    return i < descending.Length && descending[i] ? -c : c;
                }
            }
            return 0;
        }
    }
}
