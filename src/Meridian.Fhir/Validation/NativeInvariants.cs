using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Validation;

/// <summary>
/// Allocation-free evaluation of invariants that need no general FHIRPath engine. Two kinds:
/// <list type="bullet">
/// <item>Existence logic, compiled from the syntax tree: <c>and</c>/<c>or</c>/<c>xor</c>/<c>implies</c>/<c>not()</c>
/// over <c>path.exists()</c>, <c>path.empty()</c>, <c>path.hasValue()</c> with child paths of the
/// focus (qty-3, cpt-2, att-1, obs-6, pat-1, rat-1 ...). Those functions never return empty, so
/// two-valued logic is exactly FHIRPath's here.</item>
/// <item>per-1 (every Period): the engine's own date/time comparison applied directly.</item>
/// </list>
/// A predicate returns true when the invariant holds.
/// </summary>
internal static class NativeInvariants
{
    public const string Per1 = "start.hasValue().not() or end.hasValue().not() or (start <= end)";

    public static Func<FhirNode, bool>? Compile(string key, string expression, AstNode syntax) =>
        key == "per-1" && expression == Per1 ? PeriodInOrder : ExistenceLogic(syntax);

    private static Func<FhirNode, bool>? ExistenceLogic(AstNode e)
    {
        switch (e)
        {
            case BinaryNode { Operator: "and" or "or" or "xor" or "implies" } b:
                var l = ExistenceLogic(b.Left);
                var r = ExistenceLogic(b.Right);
                if (l is null || r is null)
                {
                    return null;
                }
                return b.Operator switch
                {
                    "and" => n => l(n) && r(n),
                    "or" => n => l(n) || r(n),
                    "xor" => n => l(n) != r(n),
                    _ => n => !l(n) || r(n),
                };
            case FunctionNode { Name: "not", Source: { } s, Arguments.Length: 0 }:
                var inner = ExistenceLogic(s);
                return inner is null ? null : n => !inner(n);
            case FunctionNode { Name: "exists" or "empty" or "hasValue", Source: { } s, Arguments.Length: 0 } f:
                if (ChildPath(s) is not { } path)
                {
                    return null;
                }
                return f.Name switch
                {
                    "exists" => n => Count(n, path, 0, out _) > 0,
                    "empty" => n => Count(n, path, 0, out _) == 0,
                    _ => n => Count(n, path, 0, out var last) == 1 && last!.HasValue,
                };
            default:
                return null;
        }
    }

    // a.b.c from the focus, element names only (an upper-case start is a type name: not handled).
    private static string[]? ChildPath(AstNode e)
    {
        var names = new List<string>();
        for (var n = e; n is not null;)
        {
            if (n is not MemberNode m || m.Name.Length == 0 || !char.IsAsciiLetterLower(m.Name[0]))
            {
                return null;
            }
            names.Insert(0, m.Name);
            n = m.Source;
        }
        return [.. names];
    }

    // How many nodes the path reaches (stops counting at 2: callers only need 0, 1, many).
    private static int Count(FhirNode node, string[] path, int depth, out FhirNode? last)
    {
        last = null;
        var count = 0;
        foreach (var c in node.Children)
        {
            if (c.Name != path[depth])
            {
                continue;
            }
            if (depth == path.Length - 1)
            {
                last = c;
                count++;
            }
            else
            {
                count += Count(c, path, depth + 1, out var l);
                last = l ?? last;
            }
            if (count > 1)
            {
                return count;
            }
        }
        return count;
    }

    // per-1 with the engine's comparison: values of different precision that agree as far as
    // both go compare as unknown (empty), which passes.
    private static bool PeriodInOrder(FhirNode period)
    {
        var start = Single(period, "start");
        var end = Single(period, "end");
        if (start?.Text is not { } s || end?.Text is not { } e || !start.HasValue || !end.HasValue)
        {
            return true;
        }
        if (!Temporal.TryParse(s, timeOnly: false, out var a) || !Temporal.TryParse(e, timeOnly: false, out var b))
        {
            // Not a dateTime at all: the format check reports it; the comparison is not defined.
            return true;
        }
        return Temporal.Compare(a, b, isTime: false) is not > 0;
    }

    private static FhirNode? Single(FhirNode node, string name)
    {
        FhirNode? found = null;
        foreach (var c in node.Children)
        {
            if (c.Name == name)
            {
                if (found is not null)
                {
                    return null;
                }
                found = c;
            }
        }
        return found;
    }
}
