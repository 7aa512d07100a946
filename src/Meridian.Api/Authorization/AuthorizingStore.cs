using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Authorization;

/// <summary>
/// The store as one request's caller may see it: the second line behind <see cref="AccessGate"/>.
/// Every search (the search interaction, conditional matches, <c>$everything</c>) is narrowed to
/// what the caller may search — the patient compartment and scope restrictions become part of the
/// expression tree; included resources the caller may not read are left out; history entries of
/// types it may not search are left out; every write is checked against the create/update/delete
/// grant, the new content must stay in the patient compartment and an updated or deleted resource
/// must be one the caller may change. Reads pass through: the gate checks them per instance.
/// </summary>
internal sealed class AuthorizingStore(IFhirStore inner, AccessPolicy policy, ISearchQueryParser parser) : IFhirStore, IFhirStoreDecorator
{
    public IFhirStore Inner => inner;

    public Task MigrateAsync(CancellationToken cancellationToken = default) => inner.MigrateAsync(cancellationToken);

    public Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default) =>
        inner.ReadChangesAsync(afterSequence, max, cancellationToken);

    public Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(tenant, type, id, cancellationToken);

    public Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default) =>
        inner.ReadVersionAsync(tenant, type, id, versionId, cancellationToken);

    public async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        foreach (var op in operations)
        {
            await CheckWriteAsync(tenant, op, cancellationToken).ConfigureAwait(false);
        }
        return await inner.TransactAsync(tenant, operations, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task CheckWriteAsync(string tenant, WriteOperation op, CancellationToken ct)
    {
        if (op.Type == AccessPolicy.AuditEvent)
        {
            throw new AccessDeniedException(AccessGate.AuditEventWriteRefused());
        }
        var (permission, id, content) = op switch
        {
            CreateOperation c => (ScopePermissions.Create, c.Id, c.Content),
            UpdateOperation u => (ScopePermissions.Update, u.Id, u.Content),
            DeleteOperation d => (ScopePermissions.Delete, d.Id, (ResourceContent?)null),
            _ => (ScopePermissions.All, null, null),
        };
        var grant = policy.GrantFor(op.Type, permission)
            ?? throw new AccessDeniedException(AccessGate.Forbidden($"Your access does not allow {AccessGate.Verb(permission)} {op.Type} resources."));
        if (grant.IsFull)
        {
            return;
        }
        if (content is not null && !policy.AllowsContent(grant, op.Type, id, content.Index))
        {
            throw new AccessDeniedException(AccessGate.Forbidden(
                $"The {op.Type} would be outside what your access allows (the patient compartment of Patient/{policy.PatientContext}, or a restricted scope)."));
        }
        if (op is not CreateOperation && id is not null && !await AccessGate.InstanceAllowedAsync(inner, parser, policy, tenant, op.Type, id, grant, ct).ConfigureAwait(false))
        {
            throw new AccessDeniedException(AccessGate.Forbidden($"{op.Type}/{id} is outside what your access allows."));
        }
    }

    public async Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default)
    {
        if (Narrow(query) is not { } narrowed)
        {
            return new SearchResult([], [], query.Total == TotalMode.None ? null : 0, null);
        }
        var result = await inner.SearchAsync(tenant, narrowed, cancellationToken).ConfigureAwait(false);
        if (result.Included.IsEmpty)
        {
            return result;
        }
        var included = await VisibleAsync(tenant, result.Included, ScopePermissions.Read, cancellationToken).ConfigureAwait(false);
        return result with { Included = included };
    }

    /// <summary>The query limited to what the caller may search, or null when that is nothing.</summary>
    private SearchQuery? Narrow(SearchQuery query)
    {
        if (query.ResourceType is { } type)
        {
            if (policy.GrantFor(type, ScopePermissions.Search) is not { } grant || !GrantFilter.TryBuild(policy, parser, grant, type, out var filter))
            {
                return null;
            }
            return filter is null ? query : query with { Filter = GrantFilter.Combine(query.Filter, filter) };
        }
        // Across all types ($everything, system search, compartment `*`): the types searchable
        // without conditions in one type test, and each conditionally granted type (a patient
        // context's compartment types) with its own condition, since a condition needs a type.
        var all = policy.Spec.ResourceTypes;
        var full = new List<string>();
        var conditional = ImmutableArray.CreateBuilder<SearchExpression>();
        foreach (var each in all)
        {
            if (policy.GrantFor(each, ScopePermissions.Search) is not { } eachGrant || !GrantFilter.TryBuild(policy, parser, eachGrant, each, out var eachFilter))
            {
                continue;
            }
            if (eachFilter is null)
            {
                full.Add(each);
            }
            else
            {
                conditional.Add(new AndExpression([new TypeExpression([each]), eachFilter]));
            }
        }
        if (full.Count == all.Length)
        {
            return query;
        }
        if (full.Count > 0)
        {
            conditional.Insert(0, new TypeExpression([.. full]));
        }
        if (conditional.Count == 0)
        {
            return null;
        }
        var restriction = conditional.Count == 1 ? conditional[0] : new OrExpression(conditional.ToImmutable());
        return query with { Filter = GrantFilter.Combine(query.Filter, restriction) };
    }

    public async Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        var page = await inner.HistoryAsync(tenant, query, cancellationToken).ConfigureAwait(false);
        var visible = await VisibleAsync(tenant, page.Entries, ScopePermissions.Search, cancellationToken).ConfigureAwait(false);
        return visible.Length == page.Entries.Length ? page : page with { Entries = visible };
    }

    /// <summary>The resources of <paramref name="resources"/> the caller holds <paramref name="permission"/>
    /// on; conditional grants are checked by the store against the resources' current versions.</summary>
    private async Task<ImmutableArray<StoredResource>> VisibleAsync(string tenant, ImmutableArray<StoredResource> resources, ScopePermissions permission, CancellationToken ct)
    {
        var allowedIds = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal); // null: all ids of the type
        foreach (var group in resources.GroupBy(r => r.Type, StringComparer.Ordinal))
        {
            var grant = policy.GrantFor(group.Key, permission);
            if (grant is null || !GrantFilter.TryBuild(policy, parser, grant, group.Key, out var filter))
            {
                allowedIds[group.Key] = [];
                continue;
            }
            if (filter is null)
            {
                allowedIds[group.Key] = null;
                continue;
            }
            var ids = group.Select(r => r.Id).Distinct(StringComparer.Ordinal).ToImmutableArray();
            var q = new SearchQuery(group.Key, GrantFilter.Combine(new IdExpression(ids), filter)) { Count = ids.Length };
            var found = await inner.SearchAsync(tenant, q, ct).ConfigureAwait(false);
            allowedIds[group.Key] = found.Matches.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        }
        return [.. resources.Where(r => allowedIds[r.Type] is not { } set || set.Contains(r.Id))];
    }
}

/// <summary>
/// A write the second line refuses. The store contract has no "forbidden" outcome (stores know
/// nothing of callers), so the refusal leaves the store as an exception that the router turns
/// back into the response it carries; nothing was written when it is thrown.
/// </summary>
internal sealed class AccessDeniedException : Exception
{
    public AccessDeniedException(FhirResponse response)
        : base(response?.Issues.FirstOrDefault()?.Message ?? "access denied") => Response = response!;

    public AccessDeniedException()
        : this(AccessGate.Forbidden("Access denied."))
    {
    }

    public AccessDeniedException(string message)
        : this(AccessGate.Forbidden(message))
    {
    }

    public AccessDeniedException(string message, Exception innerException)
        : base(message, innerException) => Response = AccessGate.Forbidden(message);

    public FhirResponse Response { get; }
}
