using Meridian.Api.Internal;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Interactions;

/// <summary>
/// The patient's record as the patient-rights operations (<c>$purge</c>, <c>$export-record</c>)
/// see it: the Patient and every resource the spec's Patient CompartmentDefinition places in its
/// compartment, found through the search index (current versions). Left out on purpose:
/// AuditEvents (the record of who touched the data, including of the purge itself), other
/// Patients that merely link to this one, and Groups (cohort lists about many patients).
/// Deleted resources are out of the index; <see cref="RecordAsync"/> finds those whose last
/// live version was in the compartment too (when the store offers <see cref="IFhirStoreMaintenance"/>).
/// </summary>
internal static class PatientCompartment
{
    /// <summary>Types the compartment names but a patient's record operations never touch.</summary>
    private static readonly HashSet<string> s_excluded = new(StringComparer.Ordinal) { "AuditEvent", "Patient", "Group" };

    /// <summary>The current compartment members (without the Patient itself), each once, ordered by type.</summary>
    public static async Task<List<StoredResource>> MembersAsync(string tenant, string patientId, InteractionContext ctx, CancellationToken ct)
    {
        var members = new List<StoredResource>();
        var compartment = ctx.Spec.FindCompartment("Patient");
        if (compartment is null)
        {
            return members;
        }
        var seen = new HashSet<(string, string)>();
        var target = new ReferencePredicate("Patient", patientId);
        foreach (var (type, parameters) in compartment.Members.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (parameters.IsEmpty || s_excluded.Contains(type) || !ctx.Spec.IsResourceType(type))
            {
                continue;
            }
            var alternatives = parameters
                .Where(p => p != "{def}" && ctx.Spec.FindSearchParameter(type, p) is not null)
                .Select(p => (SearchExpression)new ParameterExpression(p, target)).ToList();
            if (alternatives.Count == 0)
            {
                continue;
            }
            var filter = alternatives.Count == 1 ? alternatives[0] : new OrExpression([.. alternatives]);
            var query = new SearchQuery(type, filter) { Count = ctx.Options.MaxPageSize };
            // Keyset pages end; the bound only guards against a store that never says so.
            for (var pages = 0; pages < 1_000_000; pages++)
            {
                var page = await ctx.Store.SearchAsync(tenant, query, ct).ConfigureAwait(false);
                foreach (var r in page.Matches)
                {
                    if (seen.Add((r.Type, r.Id)))
                    {
                        members.Add(r);
                    }
                }
                if (page.NextCursor is null)
                {
                    break;
                }
                query = query with { Cursor = page.NextCursor };
            }
        }
        return members;
    }

    /// <summary>Every resource of the patient's record except the Patient itself: current
    /// compartment members, then deleted resources whose last live version was a member.</summary>
    public static async Task<List<ResourceRef>> RecordAsync(string tenant, string patientId, InteractionContext ctx, CancellationToken ct)
    {
        var record = (await MembersAsync(tenant, patientId, ctx, ct).ConfigureAwait(false)).Select(m => new ResourceRef(m.Type, m.Id)).ToList();
        if (ctx.Store.Find<IFhirStoreMaintenance>() is { } maintenance && ctx.Spec.FindCompartment("Patient") is { } compartment)
        {
            foreach (var (type, parameters) in compartment.Members.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (parameters.IsEmpty || s_excluded.Contains(type) || !ctx.Spec.IsResourceType(type))
                {
                    continue;
                }
                await DeletedMembersAsync(tenant, patientId, type, [.. parameters], maintenance, ctx, record, ct).ConfigureAwait(false);
            }
        }
        return record;
    }

    private static async Task DeletedMembersAsync(string tenant, string patientId, string type, HashSet<string> parameters, IFhirStoreMaintenance maintenance, InteractionContext ctx, List<ResourceRef> record, CancellationToken ct)
    {
        string? cursor = null;
        for (var pages = 0; pages < 1_000_000; pages++)
        {
            var page = await maintenance.DeletedAsync(tenant, type, cursor, ctx.Options.MaxPageSize, ct).ConfigureAwait(false);
            foreach (var deletion in page.Deletions)
            {
                if (deletion.VersionId > 1
                    && await ctx.Store.ReadVersionAsync(tenant, type, deletion.Id, deletion.VersionId - 1, ct).ConfigureAwait(false) is { IsDeleted: false } live
                    && ReferencesPatient(live, patientId, parameters))
                {
                    record.Add(new ResourceRef(type, deletion.Id));
                }
            }
            if (page.NextCursor is null)
            {
                return;
            }
            cursor = page.NextCursor;
        }
    }

    /// <summary>Whether a stored version's compartment parameters reference <c>Patient/[id]</c>
    /// (the same extraction the search index uses).</summary>
    private static bool ReferencesPatient(StoredResource version, string patientId, HashSet<string> parameters)
    {
        if (FhirJsonParser.R4.Parse(version.Json.ToArray()).Resource is not { } resource)
        {
            return false;
        }
        return SearchIndexer.R4.Extract(resource).Any(e =>
            parameters.Contains(e.Parameter.Code) && e.Value is ReferenceValue { ResourceType: "Patient" } r && r.Id == patientId);
    }

    /// <summary>The <c>admin</c> role, or the explicit development mode in which everything is allowed.</summary>
    public static bool IsAdmin(Caller caller) => caller.IsInsecureDev || caller.Roles.Contains("admin");
}
