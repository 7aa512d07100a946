namespace Meridian.Fhir.FhirPath;

/// <summary>Collection helpers shared by operators and functions; boxed booleans are cached.</summary>
internal static class Items
{
    public static readonly object[] Empty = [];
    public static readonly object BoxedTrue = true;
    public static readonly object BoxedFalse = false;
    public static readonly IReadOnlyList<object> True = [BoxedTrue];
    public static readonly IReadOnlyList<object> False = [BoxedFalse];

    // Small integers (counts, lengths, indexes) are the most common computed values: share them.
    private static readonly IReadOnlyList<object>[] s_smallIntegers = CreateSmallIntegers();

    public static IReadOnlyList<object> Of(object item) => [item];

    public static IReadOnlyList<object> Integer(long value) =>
        value is >= 0 and < 64 ? s_smallIntegers[value] : [value];

    private static IReadOnlyList<object>[] CreateSmallIntegers()
    {
        var result = new IReadOnlyList<object>[64];
        for (var i = 0; i < result.Length; i++) result[i] = [(long)i];
        return result;
    }

    public static IReadOnlyList<object> Bool(bool value) => value ? True : False;

    public static IReadOnlyList<object> Bool(bool? value) => value is { } b ? Bool(b) : Empty;

    public static IReadOnlyList<object> From(List<object> list) => list.Count == 0 ? Empty : list;

    /// <summary>The single item of a collection; empty → null; more than one → error.</summary>
    public static object? Single(IReadOnlyList<object> c, string what)
    {
        return c.Count switch
        {
            0 => null,
            1 => c[0],
            _ => throw new FhirPathException($"{what} expects a single item but got {c.Count}"),
        };
    }

    /// <summary>Singleton evaluation as a Boolean: empty → null, one Boolean → its value, one other item → true.</summary>
    public static bool? SingleBool(IReadOnlyList<object> c, string what)
    {
        var item = Single(c, what);
        if (item is null)
        {
            return null;
        }
        return SystemValues.ToSystem(item) is bool b ? b : true;
    }

    /// <summary>Singleton of a System type after FHIR-primitive conversion; null when empty.</summary>
    public static object? SingleValue(IReadOnlyList<object> c, string what)
    {
        var item = Single(c, what);
        return item is null ? null : SystemValues.ToSystem(item);
    }

    public static string? SingleString(IReadOnlyList<object> c, string what)
    {
        var v = SingleValue(c, what);
        return v switch
        {
            null => null,
            string s => s,
            _ => throw new FhirPathException($"{what} expects a String but got {SystemValues.TypeNameOf(v)}"),
        };
    }

    public static long? SingleInteger(IReadOnlyList<object> c, string what)
    {
        var v = SingleValue(c, what);
        return v switch
        {
            null => null,
            long l => l,
            _ => throw new FhirPathException($"{what} expects an Integer but got {SystemValues.TypeNameOf(v)}"),
        };
    }
}
