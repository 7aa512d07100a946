using Meridian.Fhir.Search.Internal;
using Meridian.Fhir.Terminology;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// Date, number and quantity values: <c>[prefix]value</c>, read with the same rules the indexer
/// uses (<see cref="FhirDates"/>, <see cref="FhirDecimals"/>) and the store's
/// <see cref="Predicates"/> factory, so a search value and an indexed value of the same text
/// denote the same range.
/// </summary>
internal static class ScalarValueParsers
{
    public static Parsed<ValuePredicate> Date(string escaped)
    {
        var value = EscapedValue.Unescape(escaped);
        if (!PrefixReader.TryRead(value, out var prefix, out var rest, out var error))
        {
            return Parsed<ValuePredicate>.Fail(error!);
        }
        return FhirDates.TryParseRange(rest, out var low, out var high)
            ? Parsed<ValuePredicate>.Ok(new DatePredicate(prefix, low, high))
            : Parsed<ValuePredicate>.Fail($"'{rest}' is not a valid date (expected YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|(+|-)hh:mm]]]])");
    }

    public static Parsed<ValuePredicate> Number(string escaped)
    {
        var value = EscapedValue.Unescape(escaped);
        if (!PrefixReader.TryRead(value, out var prefix, out var rest, out var error))
        {
            return Parsed<ValuePredicate>.Fail(error!);
        }
        if (!TryDecimal(rest, out var number))
        {
            return Parsed<ValuePredicate>.Fail($"'{rest}' is not a valid number");
        }
        return Parsed<ValuePredicate>.Ok(Predicates.Number(prefix, number));
    }

    /// <summary><c>[prefix]number[|system|code]</c>; an empty system or code means "any".</summary>
    public static Parsed<ValuePredicate> Quantity(string escaped)
    {
        var parts = EscapedValue.Split(escaped, '|');
        if (parts.Count is not (1 or 3))
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' is not a valid quantity (expected [prefix]number[|system|code])");
        }
        var number = EscapedValue.Unescape(parts[0]);
        if (!PrefixReader.TryRead(number, out var prefix, out var rest, out var error))
        {
            return Parsed<ValuePredicate>.Fail(error!);
        }
        if (!TryDecimal(rest, out var value))
        {
            return Parsed<ValuePredicate>.Fail($"'{rest}' is not a valid number");
        }
        var system = parts.Count == 3 ? NullIfEmpty(EscapedValue.Unescape(parts[1])) : null;
        var code = parts.Count == 3 ? NullIfEmpty(EscapedValue.Unescape(parts[2])) : null;
        // The shared factory adds the UCUM-canonical form (the store compares across units with it).
        return Parsed<ValuePredicate>.Ok(Predicates.Quantity(prefix, value, system, code));
    }

    /// <summary><c>latitude|longitude[|distance[|units]]</c>; units are UCUM (default km).</summary>
    public static Parsed<ValuePredicate> Near(string escaped, decimal defaultDistanceKm)
    {
        var parts = EscapedValue.Split(escaped, '|');
        if (parts.Count is < 2 or > 4)
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' is not a valid near value (expected latitude|longitude[|distance[|units]])");
        }
        if (!TryDecimal(EscapedValue.Unescape(parts[0]), out var latitude) || latitude is < -90 or > 90
            || !TryDecimal(EscapedValue.Unescape(parts[1]), out var longitude) || longitude is < -180 or > 180)
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' has an invalid latitude or longitude");
        }
        var distanceKm = defaultDistanceKm;
        if (parts.Count >= 3 && parts[2].Length > 0)
        {
            if (!TryDecimal(EscapedValue.Unescape(parts[2]), out var distance) || distance < 0)
            {
                return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(parts[2])}' is not a valid distance");
            }
            var unit = parts.Count == 4 && parts[3].Length > 0 ? EscapedValue.Unescape(parts[3]) : "km";
            if (!UcumService.Default.TryConvert(distance, unit, "km", out distanceKm))
            {
                return Parsed<ValuePredicate>.Fail($"'{unit}' is not a UCUM length unit");
            }
        }
        return Parsed<ValuePredicate>.Ok(new NearPredicate(latitude, longitude, distanceKm));
    }

    private static bool TryDecimal(string text, out decimal value)
    {
        value = 0;
        // FhirDecimals accepts exponents (1e2) like FHIR JSON does; reject the empty and the signed-only.
        return text.Length > 0 && char.IsAsciiDigit(text[^1]) && FhirDecimals.TryParse(text, out value);
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
