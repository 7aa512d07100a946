using System.Collections.Immutable;

namespace Meridian.Api.Authorization;

/// <summary>One way a scope allows something: for every resource, or only inside the patient
/// compartment and/or only for resources matching the scope's restriction parameters.</summary>
internal sealed record GrantCondition(bool InCompartment, ImmutableArray<KeyValuePair<string, string>> Parameters)
{
    public bool IsUnconditional => !InCompartment && Parameters.IsEmpty;

    public static GrantCondition Unconditional { get; } = new(false, []);
}

/// <summary>
/// What the caller may do to resources of one type for one permission: every clause must hold,
/// a clause holds when any of its conditions does (the token's scopes form one clause, the
/// roles' scopes another). No clauses: every resource of the type. A denial is a null grant.
/// </summary>
internal sealed record Grant(ImmutableArray<ImmutableArray<GrantCondition>> Clauses)
{
    public static Grant Full { get; } = new([]);

    public bool IsFull => Clauses.IsEmpty;

    /// <summary>Intersects clauses, dropping those that hold for every resource.</summary>
    public static Grant? Of(IEnumerable<ImmutableArray<GrantCondition>> clauses)
    {
        var kept = ImmutableArray.CreateBuilder<ImmutableArray<GrantCondition>>();
        foreach (var clause in clauses)
        {
            if (clause.IsEmpty)
            {
                return null;
            }
            if (!clause.Any(c => c.IsUnconditional))
            {
                kept.Add(clause);
            }
        }
        return kept.Count == 0 ? Full : new Grant(kept.ToImmutable());
    }

    public bool Equals(Grant? other) => other is not null && Clauses.Length == other.Clauses.Length
        && Clauses.Zip(other.Clauses).All(p => p.First.SequenceEqual(p.Second));

    public override int GetHashCode() => Clauses.Length;
}
