using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.FhirPath;

/// <summary>
/// Compiles FHIRPath expressions against a FHIR specification. Thread-safe: compiled expressions
/// and regular expressions are cached per engine, so each distinct text is parsed once.
/// </summary>
public sealed class FhirPathEngine
{
    private static readonly Lazy<FhirPathEngine> s_r4 = new(() => new FhirPathEngine(FhirSpec.R4));
    private const int MaxCachedExpressions = 20_000;

    private readonly ConcurrentDictionary<string, CompiledExpression> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, bool), Regex> _regexes = new();
    private readonly Compiler _compiler;

    public FhirPathEngine(FhirSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        Functions = FunctionTable.Default;
        _compiler = new Compiler(this);
    }

    /// <summary>The shared engine for FHIR R4.</summary>
    public static FhirPathEngine R4 => s_r4.Value;

    public FhirSpec Spec { get; }

    internal FunctionTable Functions { get; }

    /// <summary>Number of expressions currently cached.</summary>
    public int CachedCount => _cache.Count;

    /// <summary>Parses and compiles an expression (cached). Throws <see cref="FhirPathException"/> on syntax or semantic errors.</summary>
    public CompiledExpression Compile(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (_cache.TryGetValue(expression, out var cached))
        {
            return cached;
        }
        var ast = FhirPathParser.Parse(expression);
        var compiled = new CompiledExpression(this, expression, ast, _compiler.Compile(ast));
        if (_cache.Count >= MaxCachedExpressions)
        {
            // Unbounded distinct texts (user input) must not grow memory forever; a rebuild is cheap.
            _cache.Clear();
        }
        return _cache.GetOrAdd(expression, compiled);
    }

    public bool TryCompile(string expression, out CompiledExpression? compiled, out string? error)
    {
        try
        {
            compiled = Compile(expression);
            error = null;
            return true;
        }
        catch (FhirPathException e)
        {
            compiled = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>A cached regex; <paramref name="whole"/> anchors it to the entire input.</summary>
    internal Regex Regex(string pattern, bool whole) => _regexes.GetOrAdd((pattern, whole), static key =>
    {
        try
        {
            var p = key.Item2 ? "^(?:" + key.Item1 + ")$" : key.Item1;
            return new Regex(p, RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new FhirPathException($"Invalid regular expression '{key.Item1}': {e.Message}");
        }
    });
}
