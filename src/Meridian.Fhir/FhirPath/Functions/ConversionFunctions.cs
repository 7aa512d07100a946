using System.Globalization;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>iif and the to*/convertsTo* conversion functions.</summary>
internal static class ConversionFunctions
{
    private delegate object? Converter(object value, Scope s, Evaluator[] args);

    public static void Register(FunctionTable.Builder b)
    {
        b.Add("iif", 2, 3, Iif);
        AddPair(b, "Boolean", (v, _, _) => ToBoolean(v));
        AddPair(b, "Integer", (v, _, _) => ToInteger(v));
        AddPair(b, "Decimal", (v, _, _) => ToDecimal(v));
        AddPair(b, "String", (v, _, _) => SystemValues.ToText(v));
        AddPair(b, "Date", (v, _, _) => ToDate(v));
        AddPair(b, "DateTime", (v, _, _) => ToDateTime(v));
        AddPair(b, "Time", (v, _, _) => ToTime(v));
        AddPair(b, "Quantity", (v, s, args) =>
        {
            var q = ToQuantity(v);
            if (q is null || args.Length == 0)
            {
                return q;
            }
            var unit = Items.SingleString(args[0](s), "toQuantity()");
            return unit is null ? q : ConvertUnit(q, unit);
        }, maxArgs: 1);
    }

    private static void AddPair(FunctionTable.Builder b, string type, Converter convert, int maxArgs = 0)
    {
        b.Add("to" + type, 0, maxArgs, (s, input, args) =>
        {
            var v = Items.SingleValue(input, "to" + type + "()");
            return v is null ? Items.Empty : convert(v, s, args) is { } r ? [r] : Items.Empty;
        });
        b.Add("convertsTo" + type, 0, maxArgs, (s, input, args) =>
        {
            var v = Items.SingleValue(input, "convertsTo" + type + "()");
            return v is null ? Items.Empty : Items.Bool(convert(v, s, args) is not null);
        });
    }

    private static IReadOnlyList<object> Iif(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        if (input.Count > 1)
        {
            throw new FhirPathException("iif() cannot be called on a collection of more than one item");
        }
        var scope = s;
        if (input.Count == 1 && !ReferenceEquals(input, s.This))
        {
            scope = s.Child();
            scope.MoveTo(input[0], 0);
        }
        var criterion = Items.Single(args[0](scope), "iif() criterion");
        bool? value = criterion is null ? null : SystemValues.ToSystem(criterion) is bool cb
            ? cb
            : throw new FhirPathException("iif() criterion must be a Boolean");
        if (value == true)
        {
            return args[1](scope);
        }
        return args.Length > 2 ? args[2](scope) : Items.Empty;
    }

    public static object? ToBoolean(object v) => v switch
    {
        bool => v,
        long l => l switch { 1 => Items.BoxedTrue, 0 => Items.BoxedFalse, _ => null },
        decimal d => d == 1m ? Items.BoxedTrue : d == 0m ? Items.BoxedFalse : null,
        string s => s.ToLowerInvariant() switch
        {
            "true" or "t" or "yes" or "y" or "1" or "1.0" => Items.BoxedTrue,
            "false" or "f" or "no" or "n" or "0" or "0.0" => Items.BoxedFalse,
            _ => null,
        },
        _ => null,
    };

    public static object? ToInteger(object v) => v switch
    {
        long => v,
        bool b => b ? 1L : 0L,
        string s when IsIntegerText(s) && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    private static bool IsIntegerText(string s)
    {
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        if (i == s.Length) return false;
        for (; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
        }
        return true;
    }

    public static object? ToDecimal(object v) => v switch
    {
        decimal => v,
        long l => (decimal)l,
        bool b => b ? 1m : 0m,
        string s when IsDecimalText(s) && decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static bool IsDecimalText(string s)
    {
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        var digits = 0;
        var dot = false;
        for (; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i])) digits++;
            else if (s[i] == '.' && !dot && digits > 0 && i + 1 < s.Length) dot = true;
            else return false;
        }
        return digits > 0;
    }

    public static object? ToDate(object v) => v switch
    {
        FhirPathDate => v,
        FhirPathDateTime dt => new FhirPathDate(dt.Value with { Precision = dt.Precision < DateTimePrecision.Day ? dt.Precision : DateTimePrecision.Day, Offset = null }),
        string s => FhirPathDate.Parse(s) ?? (FhirPathDateTime.Parse(s) is { } dt ? ToDate(dt) : null),
        _ => null,
    };

    public static object? ToDateTime(object v) => v switch
    {
        FhirPathDateTime => v,
        FhirPathDate d => d.ToDateTime(),
        string s => FhirPathDateTime.Parse(s),
        _ => null,
    };

    public static object? ToTime(object v) => v switch
    {
        FhirPathTime => v,
        string s => FhirPathTime.Parse(s.StartsWith('T') ? s[1..] : s),
        _ => null,
    };

    public static FhirPathQuantity? ToQuantity(object v)
    {
        switch (v)
        {
            case FhirPathQuantity q:
                return q;
            case long l:
                return new FhirPathQuantity(l, "1");
            case decimal d:
                return new FhirPathQuantity(d, "1");
            case bool b:
                return new FhirPathQuantity(b ? 1m : 0m, "1");
            case string s:
                return ParseQuantity(s.Trim());
            default:
                return null;
        }
    }

    private static FhirPathQuantity? ParseQuantity(string s)
    {
        var space = s.IndexOf(' ', StringComparison.Ordinal);
        var number = space < 0 ? s : s[..space];
        if (ToDecimal(number) is not decimal value)
        {
            return null;
        }
        if (space < 0)
        {
            return new FhirPathQuantity(value, "1");
        }
        var unit = s[(space + 1)..].Trim();
        if (unit.Length >= 2 && unit[0] == '\'' && unit[^1] == '\'')
        {
            return new FhirPathQuantity(value, unit[1..^1]);
        }
        return Units.CalendarUnit(unit) is not null ? new FhirPathQuantity(value, unit) : null;
    }

    private static FhirPathQuantity? ConvertUnit(FhirPathQuantity q, string unit)
    {
        if (q.Unit == unit)
        {
            return q;
        }
        return Units.TryConvert(q, unit, out var v) ? new FhirPathQuantity(v, unit) : null;
    }
}
