namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>abs, ceiling, exp, floor, ln, log, power, round, sqrt, truncate.</summary>
internal static class MathFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("abs", 0, 0, (_, input, _) => Number(input, "abs") switch
        {
            null => Items.Empty,
            long l => [Math.Abs(l)],
            decimal d => [Math.Abs(d)],
            FhirPathQuantity q => [q with { Value = Math.Abs(q.Value) }],
            _ => Items.Empty,
        });
        b.Add("ceiling", 0, 0, (_, input, _) => Decimal(input, "ceiling") is { } d ? [(long)Math.Ceiling(d)] : Items.Empty);
        b.Add("floor", 0, 0, (_, input, _) => Decimal(input, "floor") is { } d ? [(long)Math.Floor(d)] : Items.Empty);
        b.Add("truncate", 0, 0, (_, input, _) => Decimal(input, "truncate") is { } d ? [(long)Math.Truncate(d)] : Items.Empty);
        b.Add("exp", 0, 0, (_, input, _) => FromDouble(Decimal(input, "exp") is { } d ? Math.Exp((double)d) : null));
        b.Add("ln", 0, 0, (_, input, _) => FromDouble(Decimal(input, "ln") is { } d ? Math.Log((double)d) : null));
        b.Add("sqrt", 0, 0, (_, input, _) => FromDouble(Decimal(input, "sqrt") is { } d ? Math.Sqrt((double)d) : null));
        b.Add("log", 1, 1, (s, input, args) =>
            FromDouble(Decimal(input, "log") is { } d && Decimal(args[0](s), "log") is { } bas ? Math.Log((double)d, (double)bas) : null));
        b.Add("power", 1, 1, Power);
        b.Add("round", 0, 1, (s, input, args) =>
        {
            if (Decimal(input, "round") is not { } d)
            {
                return Items.Empty;
            }
            var digits = args.Length > 0 ? Items.SingleInteger(args[0](s), "round()") ?? 0 : 0;
            if (digits < 0)
            {
                throw new FhirPathException("round() precision must be >= 0");
            }
            return [Math.Round(d, (int)Math.Min(digits, 28), MidpointRounding.AwayFromZero)];
        });
    }

    private static object? Number(IReadOnlyList<object> input, string name)
    {
        var v = Items.SingleValue(input, name + "()");
        return v is null or long or decimal or FhirPathQuantity ? v : throw new FhirPathException($"{name}() expects a number");
    }

    private static decimal? Decimal(IReadOnlyList<object> input, string name) => Number(input, name) switch
    {
        long l => l,
        decimal d => d,
        null => null,
        _ => throw new FhirPathException($"{name}() expects a number"),
    };

    private static IReadOnlyList<object> FromDouble(double? d)
    {
        if (d is not { } v || double.IsNaN(v) || double.IsInfinity(v) || Math.Abs(v) > 7.9e28)
        {
            return Items.Empty;
        }
        return [(decimal)v];
    }

    private static IReadOnlyList<object> Power(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var x = Number(input, "power");
        var y = Number(args[0](s), "power");
        if (x is long bx && y is long ey && ey >= 0)
        {
            var r = 1L;
            for (var i = 0; i < ey; i++) r *= bx;
            return [r];
        }
        if (x is null || y is null)
        {
            return Items.Empty;
        }
        var dx = x is long lx ? lx : (decimal)x;
        var dy = y is long ly ? ly : (decimal)y;
        return FromDouble(Math.Pow((double)dx, (double)dy));
    }
}
