using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>Tree navigation, type functions, trace and the clock functions.</summary>
internal static class UtilityFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("children", input => Children(input, descend: false));
        b.Add("descendants", input => Children(input, descend: true));
        b.Add("type", input =>
        {
            if (input.Count == 0) return Items.Empty;
            var result = new object[input.Count];
            // FHIR nodes (primitives included) report their FHIR type; only System values are System types.
            for (var i = 0; i < input.Count; i++) result[i] = TypeSystem.TypeOf(input[i]);
            return result;
        });
        b.Add("is", 1, 1, (s, input, args) =>
        {
            var item = Items.Single(input, "is()");
            return item is null ? Items.Empty : Items.Bool(TypeSystem.Is(item, (string)args[0](s)[0]));
        }, typeArgument: true);
        // FHIRPath 2.0 makes as() a singleton function, but R4's own invariants (dom-3:
        // descendants().as(canonical)) apply it to collections, so it filters like ofType().
        b.Add("as", 1, 1, (s, input, args) => Filters.OfType(input, (string)args[0](s)[0]), typeArgument: true);
        b.Add("trace", 1, 2, (s, input, args) =>
        {
            // Tracing is a diagnostic side channel; the engine has no logger, so the label is only evaluated.
            _ = args[0](s);
            return input;
        });
        b.Add("now", 0, 0, (_, _, _) => [FhirPathDateTime.FromDateTimeOffset(DateTimeOffset.Now)]);
        b.Add("today", 0, 0, (_, _, _) =>
        {
            var d = DateTime.Today;
            return [new FhirPathDate(new Temporal(d.Year, d.Month, d.Day, 0, 0, 0, 0, DateTimePrecision.Day, null))];
        });
        b.Add("timeOfDay", 0, 0, (_, _, _) =>
        {
            var t = DateTime.Now;
            return [new FhirPathTime(new Temporal(2000, 1, 1, t.Hour, t.Minute, t.Second, t.Millisecond, DateTimePrecision.Millisecond, null))];
        });
    }

    private static IReadOnlyList<object> Children(IReadOnlyList<object> input, bool descend)
    {
        if (!descend && input.Count == 1 && input[0] is FhirNode single)
        {
            // The node's own immutable child array serves as the collection (ele-1 runs this on every element).
            return single.Children.IsEmpty ? Items.Empty : (IReadOnlyList<object>)(IReadOnlyList<FhirNode>)single.Children;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            if (input[i] is FhirNode n)
            {
                result ??= [];
                Add(n, result, descend);
            }
        }
        return result is null ? Items.Empty : Items.From(result);
    }

    private static void Add(FhirNode n, List<object> result, bool descend)
    {
        foreach (var c in n.Children)
        {
            result.Add(c);
            if (descend)
            {
                Add(c, result, true);
            }
        }
    }
}
