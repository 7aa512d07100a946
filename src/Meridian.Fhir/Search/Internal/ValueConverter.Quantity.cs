using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private const string UcumSystem = "http://unitsofmeasure.org";
    private const string CurrencySystem = "urn:iso:std:iso:4217";

    private void AddQuantities(FhirNode node, List<SearchValue> output)
    {
        switch (node.TypeName)
        {
            case "Range":
                AddRange(node, output);
                break;
            case "Money":
                if (FhirDecimals.TryParse(TextOf(node, "value"), out var amount))
                {
                    var currency = TextOf(node, "currency");
                    output.Add(new QuantityValue(amount, amount, amount, currency is null ? null : CurrencySystem, currency, currency));
                }
                break;
            case "SampledData":
                // Only the origin is a quantity; the data stream itself is not indexable.
                if (node.Child("origin") is { } origin)
                {
                    AddQuantity(origin, output);
                }
                break;
            default:
                if (node.Type?.IsA("Quantity") == true)
                {
                    AddQuantity(node, output);
                }
                break;
        }
    }

    private void AddQuantity(FhirNode node, List<SearchValue> output)
    {
        if (!FhirDecimals.TryParse(TextOf(node, "value"), out var value))
        {
            return;
        }
        var comparator = TextOf(node, "comparator");
        decimal? low = comparator is "<" or "<=" ? null : value;
        decimal? high = comparator is ">" or ">=" ? null : value;
        var system = TextOf(node, "system");
        var code = TextOf(node, "code");
        var q = new QuantityValue(value, low, high, system, code, TextOf(node, "unit")) { Comparator = comparator };
        output.Add(Canonical(q));
    }

    private void AddRange(FhirNode range, List<SearchValue> output)
    {
        var lowNode = range.Child("low");
        var highNode = range.Child("high");
        var hasLow = FhirDecimals.TryParse(lowNode is null ? null : TextOf(lowNode, "value"), out var low);
        var hasHigh = FhirDecimals.TryParse(highNode is null ? null : TextOf(highNode, "value"), out var high);
        if (!hasLow && !hasHigh)
        {
            return;
        }
        // Both ends share one unit by the Range invariant (rng-3); take it from whichever is present.
        var unitNode = hasLow ? lowNode! : highNode!;
        var q = new QuantityValue(null, hasLow ? low : null, hasHigh ? high : null,
            TextOf(unitNode, "system"), TextOf(unitNode, "code"), TextOf(unitNode, "unit"));
        output.Add(Canonical(q));
    }

    /// <summary>Adds the UCUM-canonical bounds when the quantity is coded in UCUM and convertible.</summary>
    private QuantityValue Canonical(QuantityValue q)
    {
        if (q.System != UcumSystem || q.Code is null)
        {
            return q;
        }
        string? unit = null;
        decimal? cValue = null, cLow = null, cHigh = null;
        // A plain quantity has Value = Low = High: canonicalise once, not three times.
        if (q.Value is { } v && _ucum.TryCanonicalize(v, q.Code, out var cv, out var cu))
        {
            cValue = cv;
            unit = cu;
        }
        if (q.Low is { } l)
        {
            if (l == q.Value)
            {
                cLow = cValue;
            }
            else if (_ucum.TryCanonicalize(l, q.Code, out var cl, out var lu))
            {
                cLow = cl;
                unit = lu;
            }
        }
        if (q.High is { } h)
        {
            if (h == q.Value)
            {
                cHigh = cValue;
            }
            else if (_ucum.TryCanonicalize(h, q.Code, out var ch, out var hu))
            {
                cHigh = ch;
                unit = hu;
            }
        }
        return unit is null ? q : q with { CanonicalValue = cValue, CanonicalLow = cLow, CanonicalHigh = cHigh, CanonicalUnit = unit };
    }
}
