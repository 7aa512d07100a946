using System.Collections.Concurrent;
using System.Collections.Frozen;
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
    private readonly SemanticChecker _checker;
    private readonly FrozenDictionary<string, StructureType>.AlternateLookup<ReadOnlySpan<char>> _resourceTypes;

    public FhirPathEngine(FhirSpec spec) : this(spec, [])
    {
    }

    /// <summary>An engine whose symbol table adds (or overrides) <paramref name="functions"/>.</summary>
    public FhirPathEngine(FhirSpec spec, IEnumerable<FhirPathFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(functions);
        Spec = spec;
        var extra = functions.ToList();
        Functions = extra.Count == 0 ? FunctionTable.Default : FunctionTable.Default.With(extra);
        _compiler = new Compiler(this);
        _checker = new SemanticChecker(spec);
        _resourceTypes = spec.Types.Where(t => t.IsResource && !t.IsAbstract)
            .ToFrozenDictionary(t => t.Name, StringComparer.Ordinal)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The shared engine for FHIR R4.</summary>
    public static FhirPathEngine R4 => s_r4.Value;

    public FhirSpec Spec { get; }

    internal FunctionTable Functions { get; }

    /// <summary>Number of expressions currently cached.</summary>
    public int CachedCount => _cache.Count;

    /// <summary>Parses and compiles an expression (cached). Throws <see cref="FhirPathException"/> on syntax or semantic errors.</summary>
    public CompiledExpression Compile(string expression) => Compile(expression, null);

    /// <summary>Compiles for a known focus type (e.g. "Patient", or the element type of an invariant), so
    /// member names are checked against it: <c>name.given1</c> on Patient is a semantic error.</summary>
    public CompiledExpression Compile(string expression, string? contextType)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var key = contextType is null ? expression : contextType + "\u0001" + expression;
        if (_cache.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var ast = FhirPathParser.Parse(expression);
        StructureType? context = null;
        if (contextType is not null && (context = Spec.FindType(contextType)) is null)
        {
            throw new FhirPathException($"Unknown context type '{contextType}'");
        }
        _checker.Check(ast, context);
        var compiled = new CompiledExpression(this, expression, ast, _compiler.Compile(ast));
        if (_cache.Count >= MaxCachedExpressions)
        {
            // Unbounded distinct texts (user input) must not grow memory forever; a rebuild is cheap.
            _cache.Clear();
        }
        return _cache.GetOrAdd(key, compiled);
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

    /// <summary>A concrete resource type by name, without allocating the name (reference parsing).</summary>
    internal StructureType? FindResourceType(ReadOnlySpan<char> name) => _resourceTypes.TryGetValue(name, out var t) ? t : null;

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
