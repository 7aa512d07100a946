namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// The cached verdict on one unit string: a validation error, or its canonical form (which may
/// itself say the unit is valid but not convertible).
/// </summary>
internal sealed record UcumAnalysis(string? Error, UcumCanonicalForm? Form);

/// <summary>
/// A cached conversion between two commensurable units. When neither has an offset and the ratio
/// of their factors is an exact decimal, a conversion is a single decimal multiplication.
/// </summary>
internal sealed class ConversionPlan
{
    public ConversionPlan(UcumCanonicalForm from, UcumCanonicalForm to)
    {
        From = from;
        To = to;
        if (from.Offset.IsZero && to.Offset.IsZero && (from.Factor / to.Factor).TryToExactDecimal(out var ratio))
        {
            HasDecimalRatio = true;
            DecimalRatio = ratio;
            var magnitude = Math.Abs(ratio);
            MaxDecimalInput = magnitude > 1m ? decimal.MaxValue / magnitude : decimal.MaxValue;
        }
    }

    public UcumCanonicalForm From { get; }

    public UcumCanonicalForm To { get; }

    public bool HasDecimalRatio { get; }

    public decimal DecimalRatio { get; }

    public decimal MaxDecimalInput { get; }
}
