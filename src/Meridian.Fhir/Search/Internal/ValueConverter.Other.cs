using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private static void AddNumbers(FhirNode node, List<SearchValue> output)
    {
        if (node.TypeName == "Range")
        {
            // A Range (RiskAssessment.prediction.probabilityRange) is the numbers it spans.
            var hasLow = FhirDecimals.TryParse(node.Child("low")?.Child("value")?.Text, out var low);
            var hasHigh = FhirDecimals.TryParse(node.Child("high")?.Child("value")?.Text, out var high);
            if (hasLow || hasHigh)
            {
                output.Add(new NumberValue(hasLow ? low : hasHigh ? high : 0, hasLow ? low : decimal.MinValue, hasHigh ? high : decimal.MaxValue));
            }
            return;
        }
        var text = node.IsPrimitive ? node.Text : node.Type?.IsA("Quantity") == true ? TextOf(node, "value") : null;
        if (FhirDecimals.TryParse(text, out var value))
        {
            var (l, h) = FhirDecimals.ImpliedRange(value);
            output.Add(new NumberValue(value, l, h));
        }
    }

    private static void AddUri(FhirNode node, List<SearchValue> output)
    {
        if (!node.IsPrimitive || node.Text is not { Length: > 0 } text)
        {
            return;
        }
        var bar = node.TypeName == "canonical" ? text.IndexOf('|') : -1;
        output.Add(bar < 0 ? new UriValue(text, null) : new UriValue(text[..bar], text[(bar + 1)..]));
    }

    /// <summary>Location.near: the position's coordinates. Other special parameters (_filter)
    /// are query-time only and index nothing.</summary>
    private static void AddSpecial(FhirNode node, List<SearchValue> output)
    {
        if (node.Child("latitude") is { } lat && node.Child("longitude") is { } lon
            && FhirDecimals.TryParse(lat.Text, out var latitude) && FhirDecimals.TryParse(lon.Text, out var longitude))
        {
            output.Add(new PositionValue(latitude, longitude));
        }
    }
}
