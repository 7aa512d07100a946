using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private static void AddDates(FhirNode node, List<SearchValue> output)
    {
        switch (node.TypeName)
        {
            case "Period":
                AddPeriod(node, output);
                break;
            case "Timing":
                foreach (var c in node.Children)
                {
                    if (c.Name == "event")
                    {
                        AddDate(c.Text, output);
                    }
                }
                if (node.Child("repeat")?.Child("bounds") is { TypeName: "Period" } bounds)
                {
                    AddPeriod(bounds, output);
                }
                break;
            default:
                AddDate(node.Text, output);
                break;
        }
    }

    private static void AddDate(string? text, List<SearchValue> output)
    {
        if (FhirDates.TryParseRange(text, out var low, out var high))
        {
            output.Add(new DateRangeValue(low, high));
        }
    }

    /// <summary>A Period spans from the start of its start to the end of its end; a missing end is open.</summary>
    private static void AddPeriod(FhirNode period, List<SearchValue> output)
    {
        var hasStart = FhirDates.TryParseRange(TextOf(period, "start"), out var low, out _);
        var hasEnd = FhirDates.TryParseRange(TextOf(period, "end"), out _, out var high);
        if (hasStart || hasEnd)
        {
            output.Add(new DateRangeValue(hasStart ? low : DateTimeOffset.MinValue, hasEnd ? high : DateTimeOffset.MaxValue));
        }
    }
}
