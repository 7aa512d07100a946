using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Authorization;

/// <summary>
/// A <see cref="Grant"/> as a search expression over one resource type, so the store itself
/// applies it (the patient compartment from the spec's CompartmentDefinition, scope restrictions
/// parsed as ordinary search parameters). The same expression serves searches, and reads
/// checked as <c>_id=…</c> searches, so both agree on what "allowed" means.
/// </summary>
internal static class GrantFilter
{
    /// <summary>False when no resource can satisfy the grant; otherwise the filter (null: all).</summary>
    public static bool TryBuild(AccessPolicy policy, ISearchQueryParser parser, Grant grant, string type, out SearchExpression? filter)
    {
        filter = null;
        if (grant.IsFull)
        {
            return true;
        }
        var clauses = new List<SearchExpression>();
        foreach (var clause in grant.Clauses)
        {
            var alternatives = new List<SearchExpression>();
            foreach (var condition in clause)
            {
                if (Condition(policy, parser, condition, type) is { } e)
                {
                    alternatives.Add(e);
                }
            }
            if (alternatives.Count == 0)
            {
                return false;
            }
            clauses.Add(Or(alternatives));
        }
        filter = And(clauses);
        return true;
    }

    private static SearchExpression? Condition(AccessPolicy policy, ISearchQueryParser parser, GrantCondition condition, string type)
    {
        var parts = new List<SearchExpression>();
        if (condition.InCompartment)
        {
            if (Compartment(policy, type) is not { } c)
            {
                return null;
            }
            parts.Add(c);
        }
        if (!condition.Parameters.IsEmpty)
        {
            // Strict: a restriction the parser cannot apply must not silently widen access.
            var parsed = parser.Parse(type, condition.Parameters, SearchHandling.Strict);
            if (parsed.Query is null)
            {
                return null;
            }
            if (parsed.Query.Filter is { } f)
            {
                parts.Add(f);
            }
        }
        return parts.Count == 0 ? null : And(parts);
    }

    /// <summary>"In the context patient's compartment" for <paramref name="type"/>, or null when it cannot be.</summary>
    public static SearchExpression? Compartment(AccessPolicy policy, string type)
    {
        if (policy.PatientContext is not { } patient)
        {
            return null;
        }
        var operands = new List<SearchExpression>();
        if (type == "Patient")
        {
            operands.Add(new IdExpression([patient]));
        }
        foreach (var code in policy.CompartmentParameters(type))
        {
            operands.Add(new ParameterExpression(code, new ReferencePredicate("Patient", patient)));
        }
        return operands.Count == 0 ? null : Or(operands);
    }

    public static SearchExpression And(IReadOnlyList<SearchExpression> parts) =>
        parts.Count == 1 ? parts[0] : new AndExpression([.. parts]);

    public static SearchExpression Or(IReadOnlyList<SearchExpression> parts) =>
        parts.Count == 1 ? parts[0] : new OrExpression([.. parts]);

    /// <summary><paramref name="filter"/> AND <paramref name="extra"/> (either may be null).</summary>
    public static SearchExpression? Combine(SearchExpression? filter, SearchExpression? extra) =>
        filter is null ? extra : extra is null ? filter : new AndExpression([filter, extra]);
}
