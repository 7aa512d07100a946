using System.Collections.Frozen;
using Meridian.Fhir.FhirPath.Functions;

namespace Meridian.Fhir.FhirPath;

/// <summary>One built-in function: arity, whether its arguments are type names, and its body.</summary>
internal sealed record FunctionDefinition(string Name, int MinArgs, int MaxArgs, FunctionImpl Impl, bool TypeArgument = false);

/// <summary>The symbol table of built-in functions. Immutable once built; extend it by adding
/// definitions to a builder (each function family registers itself).</summary>
internal sealed class FunctionTable
{
    private readonly FrozenDictionary<string, FunctionDefinition> _functions;

    private FunctionTable(Dictionary<string, FunctionDefinition> functions) =>
        _functions = functions.ToFrozenDictionary(StringComparer.Ordinal);

    public static FunctionTable Default { get; } = CreateDefault();

    /// <summary>The default table plus host functions (which may replace built-ins of the same name).</summary>
    public FunctionTable With(IEnumerable<FhirPathFunction> functions)
    {
        var all = new Dictionary<string, FunctionDefinition>(_functions, StringComparer.Ordinal);
        foreach (var f in functions)
        {
            var body = f.Body;
            all[f.Name] = new FunctionDefinition(f.Name, f.MinArgs, f.MaxArgs, (s, input, args) =>
            {
                var values = new IReadOnlyList<object>[args.Length];
                for (var i = 0; i < args.Length; i++) values[i] = args[i](s);
                return body(input, values, s.Context);
            });
        }
        return new FunctionTable(all);
    }

    public bool TryGet(string name, out FunctionDefinition definition) => _functions.TryGetValue(name, out definition!);

    public IEnumerable<string> Names => _functions.Keys;

    private static FunctionTable CreateDefault()
    {
        var b = new Builder();
        ExistenceFunctions.Register(b);
        FilteringFunctions.Register(b);
        SubsettingFunctions.Register(b);
        ConversionFunctions.Register(b);
        StringFunctions.Register(b);
        MathFunctions.Register(b);
        UtilityFunctions.Register(b);
        FhirFunctions.Register(b);
        BoundaryFunctions.Register(b);
        return b.Build();
    }

    internal sealed class Builder
    {
        private readonly Dictionary<string, FunctionDefinition> _functions = new(StringComparer.Ordinal);

        public Builder Add(string name, int minArgs, int maxArgs, FunctionImpl impl, bool typeArgument = false)
        {
            _functions[name] = new FunctionDefinition(name, minArgs, maxArgs, impl, typeArgument);
            return this;
        }

        /// <summary>A function of the input alone (no arguments).</summary>
        public Builder Add(string name, Func<IReadOnlyList<object>, IReadOnlyList<object>> body) =>
            Add(name, 0, 0, (_, input, _) => body(input));

        public FunctionTable Build() => new(_functions);
    }
}
