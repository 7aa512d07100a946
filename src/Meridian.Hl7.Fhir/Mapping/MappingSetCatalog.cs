using System.Collections.Concurrent;

namespace Meridian.Hl7.Fhir.Mapping;

/// <summary>
/// Mapping sets by name, as senders are configured (<c>MappingSet</c> of a sender): no name or
/// <c>default</c> is the built-in set; any other name is the folder of that name under
/// <see cref="Root"/>, laid over the built-ins. Loaded once per name; <see cref="Reload"/> drops
/// the cache after an operator fixed a mapping (then replay the failed messages).
/// </summary>
public sealed class MappingSetCatalog(string? root)
{
    private readonly ConcurrentDictionary<string, MappingSet> _sets = new(StringComparer.Ordinal);

    /// <summary>The folder holding one sub-folder per mapping set; null when only the built-ins exist.</summary>
    public string? Root { get; } = root;

    public static MappingSetCatalog BuiltInOnly { get; } = new(null);

    /// <summary>The set for <paramref name="name"/>; a set with <see cref="MappingSet.Problems"/> when its folder is missing or broken.</summary>
    public MappingSet Get(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "default")
        {
            return MappingSet.Default;
        }
        return _sets.GetOrAdd(name, n =>
        {
            if (Root is null || n.IndexOfAny(['/', '\\']) >= 0 || n.StartsWith('.'))
            {
                return MappingSet.Broken(n, $"mapping set '{n}' is not configured (no mapping folder root, or an invalid name)");
            }
            return MappingSet.LoadOverride(Path.Combine(Root, n), n);
        });
    }

    public void Reload() => _sets.Clear();
}
