using System.Collections.Concurrent;
using Meridian.Fhir.Terminology.Ucum;

namespace Meridian.Fhir.Terminology;

/// <summary>
/// UCUM (Unified Code for Units of Measure) validation, canonicalisation and conversion, driven
/// by the official ucum-essence.xml embedded in this assembly. Every analysed unit string is
/// cached, so repeated calls with the units found in real data do not parse or allocate again.
/// Thread-safe; one instance is shared.
/// </summary>
public sealed class UcumService
{
    // Caps the caches so a stream of distinct junk units cannot grow memory without bound. A full
    // cache is emptied rather than frozen, so the units real data uses come back at once.
    private const int MaxCachedUnits = 8192;
    private const int MaxCachedPairs = 4096;

    private static readonly Lazy<UcumService> s_default = new(() => new UcumService(UcumEssence.LoadEmbedded()), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly UcumEssence _essence;
    private readonly ConcurrentDictionary<string, UcumAnalysis> _units = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string From, string To), ConversionPlan> _pairs = new();

    private UcumService(UcumEssence essence) => _essence = essence;

    /// <summary>The service for the UCUM version embedded in this assembly (2.2).</summary>
    public static UcumService Default => s_default.Value;

    internal UcumEssence Essence => _essence;

    /// <summary>The UCUM version of the loaded essence, e.g. "2.2".</summary>
    public string Version => _essence.Version;

    /// <summary>Null when <paramref name="unit"/> is a valid UCUM expression, otherwise why not.</summary>
    public string? Validate(string unit) => Analyze(unit).Error;

    /// <summary>
    /// Expresses value·unit in UCUM base units (m, g, s, rad, K, C, cd; arbitrary units such as
    /// [iU] stay as themselves). <paramref name="canonicalUnit"/> is sorted ordinally, e.g.
    /// "g.m-3", and "1" for dimensionless units. False for invalid or non-convertible units.
    /// </summary>
    public bool TryCanonicalize(decimal value, string unit, out decimal canonicalValue, out string canonicalUnit)
    {
        var form = Analyze(unit).Form;
        if (form is not null && form.TryToCanonical(value, out canonicalValue))
        {
            canonicalUnit = form.Unit;
            return true;
        }
        canonicalValue = 0m;
        canonicalUnit = string.Empty;
        return false;
    }

    /// <summary>Converts value from one unit to another commensurable unit, rounding once.</summary>
    public bool TryConvert(decimal value, string fromUnit, string toUnit, out decimal result)
    {
        result = 0m;
        var plan = PlanFor(fromUnit, toUnit);
        if (plan is null)
        {
            return false;
        }
        return plan.TryApply(value, out result);
    }

    /// <summary>True when both units are valid, convertible and of the same dimension.</summary>
    public bool AreComparable(string unitA, string unitB)
    {
        var a = Analyze(unitA).Form;
        var b = Analyze(unitB).Form;
        return a is { IsConvertible: true } && b is { IsConvertible: true } && string.Equals(a.Unit, b.Unit, StringComparison.Ordinal);
    }

    /// <summary>
    /// Multiplies two quantities (UCUM multiplication). The product is expressed in canonical
    /// units, e.g. 1.5 g × 2 m = 3 "g.m"; false when either unit is invalid or not convertible
    /// (special units such as Cel cannot be multiplied).
    /// </summary>
    public bool TryMultiply(decimal value1, string unit1, decimal value2, string unit2, out decimal value, out string unit) =>
        TryCombine(value1, unit1, value2, unit2, divide: false, out value, out unit);

    /// <summary>Divides two quantities; the quotient is in canonical units ("1" when they cancel).</summary>
    public bool TryDivide(decimal value1, string unit1, decimal value2, string unit2, out decimal value, out string unit) =>
        TryCombine(value1, unit1, value2, unit2, divide: true, out value, out unit);

    /// <summary>
    /// A readable long form, e.g. "(meter ^ 3) * (kilogram ^ -1)" for "m3.kg-1"; "(unity)" for
    /// the empty unit; null when the unit is invalid.
    /// </summary>
    public string? DisplayName(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (unit.Length == 0)
        {
            return "(unity)";
        }
        var parsed = _essence.Parser.Parse(unit);
        return parsed.Term is null ? null : UcumDisplayName.Format(parsed.Term);
    }

    /// <summary>
    /// Why a valid unit cannot be converted (e.g. "[pH]", or "Cel" inside a larger term), or the
    /// validation error for an invalid one; null when the unit converts.
    /// </summary>
    public string? ConversionProblem(string unit)
    {
        var analysis = Analyze(unit);
        return analysis.Error ?? analysis.Form?.Problem;
    }

    internal UcumAnalysis Analyze(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (_units.TryGetValue(unit, out var cached))
        {
            return cached;
        }
        var analysis = AnalyzeUncached(unit);
        if (_units.Count >= MaxCachedUnits)
        {
            _units.Clear();
        }
        _units.TryAdd(unit, analysis);
        return analysis;
    }

    private UcumAnalysis AnalyzeUncached(string unit)
    {
        var parsed = _essence.Parser.Parse(unit);
        if (parsed.Term is null)
        {
            return new UcumAnalysis(parsed.Error, null);
        }
        return new UcumAnalysis(null, UcumCanonicalizer.Evaluate(parsed.Term, _essence.MeaningOf));
    }

    private bool TryCombine(decimal value1, string unit1, decimal value2, string unit2, bool divide, out decimal value, out string unit)
    {
        value = 0m;
        unit = string.Empty;
        var a = Analyze(unit1).Form;
        var b = Analyze(unit2).Form;
        if (a is not { IsConvertible: true } || b is not { IsConvertible: true } || !a.Offset.IsZero || !b.Offset.IsZero)
        {
            return false;
        }
        var left = Rational.FromDecimal(value1) * a.Factor;
        var right = Rational.FromDecimal(value2) * b.Factor;
        if (divide && right.IsZero)
        {
            return false;
        }
        if (!(divide ? left / right : left * right).TryToDecimal(out value))
        {
            return false;
        }
        unit = UcumCanonicalForm.CombineDimensions(a, b, divide).Unit;
        return true;
    }

    private ConversionPlan? PlanFor(string fromUnit, string toUnit)
    {
        if (_pairs.TryGetValue((fromUnit, toUnit), out var cached))
        {
            return cached;
        }
        var from = Analyze(fromUnit).Form;
        var to = Analyze(toUnit).Form;
        if (from is not { IsConvertible: true } || to is not { IsConvertible: true } || !string.Equals(from.Unit, to.Unit, StringComparison.Ordinal))
        {
            return null;
        }
        var plan = new ConversionPlan(from, to);
        if (_pairs.Count >= MaxCachedPairs)
        {
            _pairs.Clear();
        }
        _pairs.TryAdd((fromUnit, toUnit), plan);
        return plan;
    }
}
