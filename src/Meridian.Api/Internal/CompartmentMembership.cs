using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Internal;

/// <summary>
/// "In compartment Type/id" across every member type of a CompartmentDefinition (for
/// <c>Patient/1/*</c> and <c>$everything</c>): per member type, any of its reference parameters
/// points at the compartment's resource; the compartment's resource itself is a member too.
/// Member types with the same parameters share one condition, which keeps the SQL small.
/// </summary>
internal static class CompartmentMembership
{
    /// <summary>The condition, or null when no member type qualifies (e.g. <paramref name="onlyTypes"/> excludes them all).</summary>
    public static SearchExpression? AllTypes(FhirSpec spec, CompartmentDefinition compartment, string id, IReadOnlySet<string>? onlyTypes = null)
    {
        var target = new ReferencePredicate(compartment.Code, id);
        var groups = new SortedDictionary<string, (List<string> Types, ImmutableArray<string> Codes)>(StringComparer.Ordinal);
        foreach (var (type, parameters) in compartment.Members.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if ((onlyTypes is not null && !onlyTypes.Contains(type)) || !spec.IsResourceType(type))
            {
                continue;
            }
            // The audit trail about a patient is in the spec's Patient compartment, but it is a
            // record of access, not part of the patient's record: every read would grow
            // $everything and `*`. It is included only when asked for by name (_type=AuditEvent,
            // Patient/[id]/AuditEvent); authorization still limits it to auditors.
            if (onlyTypes is null && type == "AuditEvent")
            {
                continue;
            }
            var codes = parameters
                .Where(p => p != "{def}" && spec.FindSearchParameter(type, p) is { Type: SearchParamType.Reference })
                .Order(StringComparer.Ordinal).ToImmutableArray();
            if (codes.IsEmpty)
            {
                continue;
            }
            var key = string.Join(',', codes);
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = (new List<string>(), codes);
            }
            group.Types.Add(type);
        }
        var operands = ImmutableArray.CreateBuilder<SearchExpression>();
        if (onlyTypes is null || onlyTypes.Contains(compartment.Code))
        {
            operands.Add(new AndExpression([new TypeExpression([compartment.Code]), new IdExpression([id])]));
        }
        foreach (var (_, (types, codes)) in groups)
        {
            SearchExpression links = codes.Length == 1
                ? new ParameterExpression(codes[0], target)
                : new OrExpression([.. codes.Select(c => (SearchExpression)new ParameterExpression(c, target))]);
            operands.Add(new AndExpression([new TypeExpression([.. types]), links]));
        }
        return operands.Count switch
        {
            0 => null,
            1 => operands[0],
            _ => new OrExpression(operands.ToImmutable()),
        };
    }
}
