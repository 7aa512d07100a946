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
    // Caps the caches so a stream of distinct junk units cannot grow memory without bound;
    // beyond it units are still analysed, just not remembered.
    private const int MaxCachedUnits = 8192;
    private const int MaxCachedPairs = 4096;

    private static readonly Lazy<UcumService> s_default = new(() => new UcumService(UcumEssence.LoadEmbedded()), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly UcumEssence _essence;
    private readonly ConcurrentDictionary<string, UcumAnalysis> _units = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string From, string To), ConversionPlan> _pairs = new();

    private UcumService(UcumEssence essence) => _essence = essence;

    /// <summary>The service for the UCUM version embedded in this assembly (2.2).</summary>
    public static UcumService Default => s_default.Value;

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
        if (plan.HasDecimalRatio)
        {
            if (Math.Abs(value) > plan.MaxDecimalInput)
            {
                return false;
            }
            result = value * plan.DecimalRatio;
            return true;
        }
        var canonical = plan.From.ToCanonicalExact(value);
        return plan.To.FromCanonicalExact(canonical).TryToDecimal(out result);
    }

    /// <summary>True when both units are valid, convertible and of the same dimension.</summary>
    public bool AreComparable(string unitA, string unitB)
    {
        var a = Analyze(unitA).Form;
        var b = Analyze(unitB).Form;
        return a is { IsConvertible: true } && b is { IsConvertible: true } && string.Equals(a.Unit, b.Unit, StringComparison.Ordinal);
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
        if (_units.Count < MaxCachedUnits)
        {
            _units.TryAdd(unit, analysis);
        }
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
        if (_pairs.Count < MaxCachedPairs)
        {
            _pairs.TryAdd((fromUnit, toUnit), plan);
        }
        return plan;
    }
}
