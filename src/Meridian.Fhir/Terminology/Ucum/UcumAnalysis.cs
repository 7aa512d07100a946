namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// The cached verdict on one unit string: a validation error, or its canonical form (which may
/// itself say the unit is valid but not convertible).
/// </summary>
internal sealed record UcumAnalysis(string? Error, UcumCanonicalForm? Form);

/// <summary>
/// A cached conversion between two commensurable units, composed into one exact map
/// to = from × Ratio + Shift, with its decimal fast form.
/// </summary>
internal sealed class ConversionPlan
{
    public ConversionPlan(UcumCanonicalForm from, UcumCanonicalForm to)
    {
        Ratio = from.Factor / to.Factor;
        Shift = (from.Offset - to.Offset) / to.Factor;
        Fast = DecimalAffine.From(Ratio, Shift);
    }

    public Rational Ratio { get; }

    public Rational Shift { get; }

    public DecimalAffine Fast { get; }

    public bool TryApply(decimal value, out decimal result) =>
        Fast.IsAvailable
            ? Fast.TryApply(value, out result)
            : ((Rational.FromDecimal(value) * Ratio) + Shift).TryToDecimal(out result);
}
