namespace Meridian.Fhir.FhirPath;

/// <summary>Math operators (+ - * / div mod &amp;), including string concatenation and date/time ± quantity.</summary>
internal static class Arithmetic
{
    public static IReadOnlyList<object> Apply(string op, IReadOnlyList<object> left, IReadOnlyList<object> right)
    {
        if (op == "&")
        {
            var ls = left.Count == 0 ? "" : Items.SingleString(left, "&") ?? "";
            var rs = right.Count == 0 ? "" : Items.SingleString(right, "&") ?? "";
            return [ls + rs];
        }
        var a = Items.SingleValue(left, op);
        var b = Items.SingleValue(right, op);
        if (a is null || b is null)
        {
            return Items.Empty;
        }
        var r = Binary(op, a, b);
        return r is null ? Items.Empty : [r];
    }

    private static object? Binary(string op, object a, object b)
    {
        switch (a, b)
        {
            case (long x, long y):
                return Integer(op, x, y);
            case (long x, decimal y):
                return Decimal(op, x, y);
            case (decimal x, long y):
                return Decimal(op, x, y);
            case (decimal x, decimal y):
                return Decimal(op, x, y);
            case (string x, string y) when op == "+":
                return x + y;
            case (FhirPathQuantity x, FhirPathQuantity y):
                return Quantity(op, x, y);
            case (FhirPathQuantity x, long y) when op is "*" or "/":
                return Quantity(op, x, new FhirPathQuantity(y, "1"));
            case (FhirPathQuantity x, decimal y) when op is "*" or "/":
                return Quantity(op, x, new FhirPathQuantity(y, "1"));
            case (long x, FhirPathQuantity y) when op == "*":
                return Quantity(op, new FhirPathQuantity(x, "1"), y);
            case (decimal x, FhirPathQuantity y) when op == "*":
                return Quantity(op, new FhirPathQuantity(x, "1"), y);
            case (FhirPathDate or FhirPathDateTime or FhirPathTime, FhirPathQuantity q) when op is "+" or "-":
                return DateArithmetic.Add(a, op == "-" ? q with { Value = -q.Value } : q);
        }
        throw new FhirPathException($"Operator '{op}' cannot be applied to {SystemValues.TypeNameOf(a)} and {SystemValues.TypeNameOf(b)}");
    }

    private static object? Integer(string op, long x, long y)
    {
        switch (op)
        {
            case "+": return x + y;
            case "-": return x - y;
            case "*": return x * y;
            case "/": return y == 0 ? null : (decimal)x / y;
            case "div": return y == 0 ? null : x / y;
            case "mod": return y == 0 ? null : x % y;
            default: return null;
        }
    }

    private static object? Decimal(string op, decimal x, decimal y)
    {
        try
        {
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? null : x / y;
                case "div": return y == 0 ? null : (long)decimal.Truncate(x / y);
                case "mod": return y == 0 ? null : x % y;
                default: return null;
            }
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static FhirPathQuantity? Quantity(string op, FhirPathQuantity x, FhirPathQuantity y)
    {
        switch (op)
        {
            case "+":
            case "-":
                // The result is in the left operand's unit.
                if (!Units.TryConvert(y, x.Unit, out var vy))
                {
                    throw new FhirPathException($"Cannot {(op == "+" ? "add" : "subtract")} quantities in '{x.Unit}' and '{y.Unit}'");
                }
                return new FhirPathQuantity(op == "+" ? x.Value + vy : x.Value - vy, x.Unit);
            case "*":
            case "/":
                if (op == "/" && y.Value == 0)
                {
                    return null;
                }
                // A number times a quantity, or the same unit twice, keeps the written unit;
                // different units combine in UCUM canonical units (cm × m → m2).
                if (x.Unit != y.Unit && x.Unit != "1" && y.Unit != "1" && Units.TryCombine(x, y, op == "/", out var combined))
                {
                    return combined;
                }
                return new FhirPathQuantity(op == "*" ? x.Value * y.Value : x.Value / y.Value, CombineUnits(x.Unit, y.Unit, op == "*" ? '.' : '/'));
            default:
                throw new FhirPathException($"Operator '{op}' cannot be applied to quantities");
        }
    }

    private static string CombineUnits(string a, string b, char op)
    {
        var ua = Units.ToUcum(a);
        var ub = Units.ToUcum(b);
        if (ub == "1") return ua;
        if (ua == "1") return op == '*' || op == '.' ? ub : "1/" + ub;
        if (op == '/' && ua == ub) return "1";
        if (op == '.' && ua == ub) return ua + "2";
        return ua + op + ub;
    }

    public static IReadOnlyList<object> Negate(IReadOnlyList<object> c)
    {
        var v = Items.SingleValue(c, "unary -");
        return v switch
        {
            null => Items.Empty,
            long l => [-l],
            decimal d => [-d],
            FhirPathQuantity q => [q with { Value = -q.Value }],
            _ => throw new FhirPathException($"Unary '-' cannot be applied to {SystemValues.TypeNameOf(v)}"),
        };
    }

    public static IReadOnlyList<object> Plus(IReadOnlyList<object> c)
    {
        var v = Items.SingleValue(c, "unary +");
        return v switch
        {
            null => Items.Empty,
            long or decimal or FhirPathQuantity => [v],
            _ => throw new FhirPathException($"Unary '+' cannot be applied to {SystemValues.TypeNameOf(v)}"),
        };
    }
}
