namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>lowBoundary, highBoundary, precision and comparable (FHIRPath 2.1 additions used by R4 invariants).</summary>
internal static class BoundaryFunctions
{
    private const int DefaultDecimalPrecision = 8;

    public static void Register(FunctionTable.Builder b)
    {
        b.Add("lowBoundary", 0, 1, (s, input, args) => Boundary(s, input, args, high: false));
        b.Add("highBoundary", 0, 1, (s, input, args) => Boundary(s, input, args, high: true));
        b.Add("precision", 0, 0, (_, input, _) => Items.SingleValue(input, "precision()") switch
        {
            decimal d => [(long)Scale(d)],
            long => [0L],
            FhirPathDate d => [(long)Digits(d.Precision, false)],
            FhirPathDateTime d => [(long)Digits(d.Precision, false)],
            FhirPathTime t => [(long)Digits(t.Precision, true)],
            _ => Items.Empty,
        });
        b.Add("comparable", 1, 1, (s, input, args) =>
        {
            var a = Items.SingleValue(input, "comparable()");
            var c = Items.SingleValue(args[0](s), "comparable()");
            return a is FhirPathQuantity qa && c is FhirPathQuantity qc ? Items.Bool(Units.AreComparable(qa, qc)) : Items.Empty;
        });
    }

    private static int Scale(decimal d) => (decimal.GetBits(d)[3] >> 16) & 0xFF;

    /// <summary>Digits a date/time value carries: 4 year, 6 month, 8 day, 10 hour, 12 minute, 14 second, 17 ms (time: 2..9).</summary>
    private static int Digits(DateTimePrecision p, bool time) => time
        ? p switch { DateTimePrecision.Hour => 2, DateTimePrecision.Minute => 4, DateTimePrecision.Second => 6, _ => 9 }
        : p switch
        {
            DateTimePrecision.Year => 4,
            DateTimePrecision.Month => 6,
            DateTimePrecision.Day => 8,
            DateTimePrecision.Hour => 10,
            DateTimePrecision.Minute => 12,
            DateTimePrecision.Second => 14,
            _ => 17,
        };

    private static IReadOnlyList<object> Boundary(Scope s, IReadOnlyList<object> input, Evaluator[] args, bool high)
    {
        var v = Items.SingleValue(input, high ? "highBoundary()" : "lowBoundary()");
        if (v is null)
        {
            return Items.Empty;
        }
        long? precision = args.Length > 0 ? Items.SingleInteger(args[0](s), "boundary precision") : null;
        object? result = v switch
        {
            long l => DecimalBoundary(l, precision ?? DefaultDecimalPrecision, high),
            decimal d => DecimalBoundary(d, precision ?? DefaultDecimalPrecision, high),
            FhirPathQuantity q => DecimalBoundary(q.Value, precision ?? DefaultDecimalPrecision, high) is decimal qd ? q with { Value = qd } : null,
            FhirPathDate d => TemporalBoundary(d.Value, precision ?? 8, high, false, true) is { } t ? AsDate(t) : null,
            FhirPathDateTime d => TemporalBoundary(d.Value, precision ?? 17, high, false, false) is { } t ? new FhirPathDateTime(t) : null,
            FhirPathTime t => TemporalBoundary(t.Value, precision ?? 9, high, true, false) is { } tt ? new FhirPathTime(tt) : null,
            _ => null,
        };
        return result is null ? Items.Empty : [result];
    }

    private static object AsDate(Temporal t) => t.Precision <= DateTimePrecision.Day ? new FhirPathDate(t) : new FhirPathDateTime(t);

    private static object? DecimalBoundary(decimal value, long precision, bool high)
    {
        if (precision is < 0 or > 28)
        {
            return null;
        }
        var p = (int)precision;
        var half = 0.5m;
        for (var i = 0; i < Scale(value); i++) half /= 10;
        var bound = high ? value + half : value - half;
        var factor = 1m;
        for (var i = 0; i < p; i++) factor *= 10;
        decimal result;
        if (Math.Abs(value) * factor < 1 && p > 0)
        {
            // The value is finer than the requested precision: its boundary there is zero.
            result = 0m;
        }
        else
        {
            result = (high ? Math.Ceiling(bound * factor) : Math.Floor(bound * factor)) / factor;
        }
        return decimal.Round(result, p) + ZeroWithScale(p);
    }

    private static decimal ZeroWithScale(int p)
    {
        // Adding 0.000… forces the printed scale (1.5865 at precision 8 → 1.58650000).
        return new decimal(0, 0, 0, false, (byte)p);
    }

    private static Temporal? TemporalBoundary(Temporal t, long digits, bool high, bool time, bool date)
    {
        DateTimePrecision? target = time
            ? digits switch { 2 => DateTimePrecision.Hour, 4 => DateTimePrecision.Minute, 6 => DateTimePrecision.Second, 9 => DateTimePrecision.Millisecond, _ => null }
            : digits switch
            {
                4 => DateTimePrecision.Year,
                6 => DateTimePrecision.Month,
                8 => DateTimePrecision.Day,
                10 => DateTimePrecision.Hour,
                12 => DateTimePrecision.Minute,
                14 => DateTimePrecision.Second,
                17 => DateTimePrecision.Millisecond,
                _ => null,
            };
        if (target is not { } p || (date && p > DateTimePrecision.Day))
        {
            return null;
        }
        var month = t.Precision >= DateTimePrecision.Month ? t.Month : high ? 12 : 1;
        var day = t.Precision >= DateTimePrecision.Day ? t.Day : high ? DateTime.DaysInMonth(t.Year, month) : 1;
        var hour = t.Precision >= DateTimePrecision.Hour ? t.Hour : high ? 23 : 0;
        var minute = t.Precision >= DateTimePrecision.Minute ? t.Minute : high ? 59 : 0;
        var second = t.Precision >= DateTimePrecision.Second ? t.Second : high ? 59 : 0;
        var ms = t.Precision >= DateTimePrecision.Millisecond ? t.Millisecond : high ? 999 : 0;
        TimeSpan? offset = t.Offset;
        if (!time && p >= DateTimePrecision.Hour && offset is null)
        {
            // Unknown zone: the earliest instant is in the first zone (+14:00), the latest in the last (-12:00).
            offset = high ? TimeSpan.FromHours(-12) : TimeSpan.FromHours(14);
        }
        return new Temporal(t.Year, month, day, hour, minute, second, ms, p, p >= DateTimePrecision.Hour ? offset : null);
    }
}
