using System.Collections.Frozen;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Text.Json;

namespace Meridian.Fhir.Specification;

/// <summary>
/// The FHIR R4 (4.0.1) specification as data: types, elements, search parameters, required
/// value sets and compartments. Loaded once from the embedded pack and immutable after that,
/// so one instance is shared by every thread.
/// </summary>
public sealed class FhirSpec
{
    private static readonly Lazy<FhirSpec> s_r4 = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, StructureType> _types;
    private readonly FrozenDictionary<string, StructureType> _typesByUrl;
    private readonly FrozenDictionary<string, ExpandedValueSet> _valueSets;
    private readonly FrozenDictionary<string, ImmutableArray<SearchParameterDefinition>> _searchByType;
    private readonly FrozenDictionary<string, SearchParameterDefinition> _searchByUrl;
    private readonly FrozenDictionary<string, CompartmentDefinition> _compartments;

    /// <summary>The R4 specification embedded in this assembly.</summary>
    public static FhirSpec R4 => s_r4.Value;

    public string FhirVersion { get; }
    public IEnumerable<StructureType> Types => _types.Values;
    public ImmutableArray<string> ResourceTypes { get; }
    public ImmutableArray<SearchParameterDefinition> SearchParameters { get; }

    private FhirSpec(SpecPack pack)
    {
        FhirVersion = pack.FhirVersion;
        var types = new Dictionary<string, StructureType>(StringComparer.Ordinal);
        var pending = new List<(StructureType Type, PackType Pack)>();
        foreach (var t in pack.Types)
        {
            var kind = t.Kind switch
            {
                "primitive-type" => TypeKind.Primitive,
                "complex-type" => TypeKind.Complex,
                "resource" => TypeKind.Resource,
                _ => TypeKind.Logical,
            };
            var st = new StructureType(t.Name, t.Url, kind, t.Abstract, t.Base, t.Regex) { FhirPathTypeName = t.Name };
            types[t.Name] = st;
            pending.Add((st, t));
        }
        foreach (var (st, _) in pending)
        {
            st.Base = st.BaseName is null ? null : types.GetValueOrDefault(st.BaseName);
        }
        foreach (var (st, pt) in pending)
        {
            BuildChildren(st, pt, types);
        }
        _types = types.ToFrozenDictionary(StringComparer.Ordinal);
        _typesByUrl = types.Values.ToFrozenDictionary(t => t.Url, StringComparer.Ordinal);
        ResourceTypes = [.. types.Values.Where(t => t.IsResource && !t.IsAbstract).Select(t => t.Name).Order(StringComparer.Ordinal)];

        _valueSets = pack.ValueSets.ToFrozenDictionary(v => v.Url, v => new ExpandedValueSet(v), StringComparer.Ordinal);

        SearchParameters = [.. pack.SearchParameters.Select(p => new SearchParameterDefinition(
            p.Url, p.Code, [.. p.Base], SearchParameterDefinition.ParseType(p.Type), p.Expression,
            [.. p.Target ?? []], [.. p.Modifier ?? []], [.. p.Comparator ?? []],
            [.. (p.Component ?? []).Select(c => new SearchComponent(c.Definition, c.Expression))]))];
        _searchByUrl = SearchParameters.ToFrozenDictionary(p => p.Url, StringComparer.Ordinal);
        var byType = new Dictionary<string, List<SearchParameterDefinition>>(StringComparer.Ordinal);
        foreach (var p in SearchParameters)
        {
            foreach (var b in p.Base)
            {
                // Parameters on Resource/DomainResource apply to every resource type below them.
                var targets = b is "Resource" or "DomainResource"
                    ? ResourceTypes.Where(r => types[r].IsA(b))
                    : [b];
                foreach (var t in targets)
                {
                    if (!byType.TryGetValue(t, out var list))
                    {
                        byType[t] = list = [];
                    }
                    list.Add(p);
                }
            }
        }
        _searchByType = byType.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal);
        _compartments = pack.Compartments.ToFrozenDictionary(c => c.Code, c => new CompartmentDefinition(c), StringComparer.Ordinal);
    }

    private static void BuildChildren(StructureType st, PackType pt, Dictionary<string, StructureType> types)
    {
        if (pt.Elements.Count == 0)
        {
            return;
        }
        var elements = pt.Elements.Select((e, i) => new ElementDefinition(e, i)).ToList();
        st.Root = elements[0];
        var rootPath = elements[0].Path;
        var byPath = new Dictionary<string, StructureType>(StringComparer.Ordinal) { [rootPath] = st };
        var childrenOf = new Dictionary<string, List<ElementDefinition>>(StringComparer.Ordinal) { [rootPath] = [] };

        foreach (var e in elements.Skip(1))
        {
            var parentPath = e.Path[..e.Path.LastIndexOf('.')];
            if (!childrenOf.TryGetValue(parentPath, out var siblings))
            {
                continue; // a slice or a child of an unknown parent: not part of the base structure
            }
            siblings.Add(e);
            // An element whose type is BackboneElement or Element (with children in the
            // snapshot) is an anonymous structure of its own.
            var code = e.Types.Length == 1 ? e.Types[0].Code : null;
            if (e.ContentReference is null && code is "BackboneElement" or "Element" && st.Kind != TypeKind.Primitive)
            {
                var bb = new StructureType(e.Path, st.Url + "#" + e.Path, TypeKind.Backbone, false, code, null)
                {
                    FhirPathTypeName = code!,
                    Root = e,
                    Base = types.GetValueOrDefault(code!),
                };
                e.Backbone = bb;
                byPath[e.Path] = bb;
                childrenOf[e.Path] = [];
            }
        }
        foreach (var (path, structure) in byPath)
        {
            structure.SetChildren(childrenOf[path]);
        }
        // Content references (#Questionnaire.item) reuse the referenced backbone.
        foreach (var e in elements.Where(e => e.ContentReference is not null))
        {
            var reference = e.ContentReference!;
            var target = reference[(reference.IndexOf('#') + 1)..];
            if (byPath.TryGetValue(target, out var bb))
            {
                e.Backbone = bb;
            }
        }
    }

    public StructureType? FindType(string name) => _types.GetValueOrDefault(name);

    public StructureType? FindTypeByUrl(string url) => _typesByUrl.GetValueOrDefault(url);

    public bool IsResourceType(string name) => _types.TryGetValue(name, out var t) && t.IsResource && !t.IsAbstract;

    /// <summary>The expansion of a value set (canonical with or without <c>|version</c>).</summary>
    public ExpandedValueSet? FindValueSet(string canonical)
    {
        var bar = canonical.IndexOf('|');
        return _valueSets.GetValueOrDefault(bar < 0 ? canonical : canonical[..bar]);
    }

    /// <summary>All search parameters that apply to a resource type, including Resource/DomainResource ones.</summary>
    public ImmutableArray<SearchParameterDefinition> SearchParametersFor(string resourceType) =>
        _searchByType.TryGetValue(resourceType, out var list) ? list : [];

    public SearchParameterDefinition? FindSearchParameter(string resourceType, string code)
    {
        foreach (var p in SearchParametersFor(resourceType))
        {
            if (p.Code == code)
            {
                return p;
            }
        }
        return null;
    }

    public SearchParameterDefinition? FindSearchParameterByUrl(string url) => _searchByUrl.GetValueOrDefault(url);

    public CompartmentDefinition? FindCompartment(string code) => _compartments.GetValueOrDefault(code);

    /// <summary>Loads a pack (Brotli-compressed JSON) from a stream.</summary>
    public static FhirSpec Load(Stream brotliPack)
    {
        ArgumentNullException.ThrowIfNull(brotliPack);
        using var brotli = new BrotliStream(brotliPack, CompressionMode.Decompress);
        var pack = JsonSerializer.Deserialize(brotli, SpecPackJsonContext.Default.SpecPack)
            ?? throw new InvalidDataException("empty specification pack");
        return new FhirSpec(pack);
    }

    private static FhirSpec LoadEmbedded()
    {
        using var s = typeof(FhirSpec).Assembly.GetManifestResourceStream("r4-core.pack.json.br")
            ?? throw new InvalidOperationException("the embedded FHIR R4 specification pack is missing");
        return Load(s);
    }
}
