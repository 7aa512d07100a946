using System.Collections.Immutable;
using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Authorization;

/// <summary>
/// What one caller may do in one request: per resource type and permission, a <see cref="Grant"/>
/// (none, everything, or conditions). Effective permissions are the granted token scopes,
/// intersected with the union of the caller's role scopes when the caller has roles.
/// AuditEvent is readable and searchable by the auditor role only and writable by nobody.
/// Built per request (cheap: a handful of scopes); never shared between requests.
/// </summary>
internal sealed class AccessPolicy
{
    public const string AuditEvent = "AuditEvent";
    private const string PatientCompartment = "Patient";

    private readonly ImmutableArray<SmartScope> _granted;
    private readonly ImmutableArray<SmartScope>? _roleScopes;
    private readonly CompartmentDefinition? _compartment;
    private readonly Dictionary<(string, ScopePermissions), Grant?> _cache = [];

    private AccessPolicy(Caller caller, FhirSpec spec, ImmutableArray<SmartScope> granted, ImmutableArray<SmartScope>? roleScopes,
        bool isAuditor, string? patientContext, bool unrestricted, bool isBreakGlass, AccessTracker tracker, ImmutableArray<string> invalidScopes)
    {
        Caller = caller;
        Spec = spec;
        _granted = granted;
        _roleScopes = roleScopes;
        IsAuditor = isAuditor;
        PatientContext = patientContext;
        IsUnrestricted = unrestricted;
        IsBreakGlass = isBreakGlass;
        Tracker = tracker;
        InvalidScopes = invalidScopes;
        _compartment = spec.FindCompartment(PatientCompartment);
    }

    public Caller Caller { get; }
    public FhirSpec Spec { get; }
    public bool IsAuditor { get; }

    /// <summary>The launch patient bounding <c>patient/</c> scopes (null: none, so those scopes grant nothing).</summary>
    public string? PatientContext { get; }

    /// <summary><c>--insecure-dev</c>: every permission on every type except AuditEvent writes.</summary>
    public bool IsUnrestricted { get; }

    /// <summary>This policy is the override of a clinician who broke the glass.</summary>
    public bool IsBreakGlass { get; }

    /// <summary>The request's record of denials and break-glass use (shared with the break-glass policy).</summary>
    public AccessTracker Tracker { get; }

    public ImmutableArray<string> InvalidScopes { get; }

    /// <summary>The break-the-glass override, when this caller may use one (a stated reason and a break-glass role).</summary>
    public AccessPolicy? BreakGlass { get; private init; }

    public static AccessPolicy Create(Caller caller, Authorizer authorizer, AccessTracker tracker)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var spec = authorizer.Spec;
        var options = authorizer.Options;
        var isAuditor = caller.Roles.Contains(options.AuditorRole, StringComparer.Ordinal);
        if (caller.IsInsecureDev)
        {
            return new AccessPolicy(caller, spec, [], null, isAuditor: true, null, unrestricted: true, isBreakGlass: false, tracker, []);
        }
        var granted = ScopeParser.Parse(caller.Scopes, spec);
        ImmutableArray<SmartScope>? roleScopes = caller.Roles.IsDefaultOrEmpty
            ? null
            : [.. caller.Roles.SelectMany(r => authorizer.ScopesOfRole(r))];
        var mayBreakGlass = !string.IsNullOrWhiteSpace(caller.BreakGlassReason)
            && caller.Roles.Any(r => options.BreakGlassRoles.Contains(r, StringComparer.Ordinal));
        return new AccessPolicy(caller, spec, granted.Resources, roleScopes, isAuditor, caller.PatientContext, false, false, tracker, granted.Invalid)
        {
            BreakGlass = mayBreakGlass
                ? new AccessPolicy(caller, spec, authorizer.BreakGlassScopes, null, isAuditor, null, false, isBreakGlass: true, tracker, granted.Invalid)
                : null,
        };
    }

    /// <summary>The grant for <paramref name="permission"/> (one flag) on <paramref name="type"/>, or null when denied.</summary>
    public Grant? GrantFor(string type, ScopePermissions permission)
    {
        if (_cache.TryGetValue((type, permission), out var cached))
        {
            return cached;
        }
        var grant = Compute(type, permission);
        _cache[(type, permission)] = grant;
        return grant;
    }

    /// <summary>Every flag of <paramref name="permissions"/> is granted on <paramref name="type"/> (with or without conditions).</summary>
    public bool Allows(string type, ScopePermissions permissions)
    {
        foreach (var flag in Flags(permissions))
        {
            if (GrantFor(type, flag) is null)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Some flag of <paramref name="permissions"/> is granted on some type.</summary>
    public bool AllowsAnyType(ScopePermissions permissions) =>
        Spec.ResourceTypes.Any(t => Flags(permissions).Any(f => GrantFor(t, f) is not null));

    private Grant? Compute(string type, ScopePermissions permission)
    {
        var isRead = permission is ScopePermissions.Read or ScopePermissions.Search;
        if (type == AuditEvent && (!isRead || !IsAuditor))
        {
            return null;
        }
        if (IsUnrestricted)
        {
            return Grant.Full;
        }
        var token = ImmutableArray.CreateBuilder<GrantCondition>();
        foreach (var scope in _granted)
        {
            if (!scope.Grants(type, permission))
            {
                continue;
            }
            var inCompartment = false;
            if (scope.Context == ScopeContext.Patient)
            {
                if (PatientContext is null)
                {
                    continue; // a patient scope without a launch patient cannot say whose data it means
                }
                // Types outside the Patient compartment (Practitioner, Medication, …) hold no
                // patient's data: a patient scope reaches them unconditionally.
                inCompartment = IsCompartmentMember(type);
            }
            token.Add(inCompartment || !scope.Restrictions.IsEmpty ? new GrantCondition(inCompartment, scope.Restrictions) : GrantCondition.Unconditional);
        }
        var clauses = new List<ImmutableArray<GrantCondition>> { token.ToImmutable() };
        if (_roleScopes is { } roles)
        {
            clauses.Add([.. roles.Where(s => s.Grants(type, permission))
                .Select(s => s.Restrictions.IsEmpty ? GrantCondition.Unconditional : new GrantCondition(false, s.Restrictions))]);
        }
        return Grant.Of(clauses);
    }

    public bool IsCompartmentMember(string type) =>
        type == PatientCompartment || (_compartment is not null && !_compartment.ParamsFor(type).IsEmpty);

    /// <summary>The reference parameters that place <paramref name="type"/> in the patient compartment.</summary>
    public IEnumerable<string> CompartmentParameters(string type) =>
        _compartment is null ? [] : _compartment.ParamsFor(type).Where(p => p != "{def}" && Spec.FindSearchParameter(type, p) is { Type: SearchParamType.Reference });

    /// <summary>Checks a resource about to be written against <paramref name="grant"/> from its own
    /// index values: in the compartment when required; restricted scopes never allow writes
    /// (their parameters are search semantics the store evaluates, not the writer).</summary>
    public bool AllowsContent(Grant grant, string type, string? id, ImmutableArray<SearchIndexEntry> index)
    {
        foreach (var clause in grant.Clauses)
        {
            if (!clause.Any(c => c.Parameters.IsEmpty && (!c.InCompartment || InCompartment(type, id, index))))
            {
                return false;
            }
        }
        return true;
    }

    private bool InCompartment(string type, string? id, ImmutableArray<SearchIndexEntry> index)
    {
        if (PatientContext is null)
        {
            return false;
        }
        if (type == PatientCompartment && id == PatientContext)
        {
            return true;
        }
        var parameters = CompartmentParameters(type).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in index)
        {
            if (parameters.Contains(entry.Parameter.Code) && entry.Value is ReferenceValue { ResourceType: PatientCompartment } r && r.Id == PatientContext)
            {
                return true;
            }
        }
        return false;
    }

    public static IEnumerable<ScopePermissions> Flags(ScopePermissions permissions)
    {
        foreach (var flag in new[] { ScopePermissions.Create, ScopePermissions.Read, ScopePermissions.Update, ScopePermissions.Delete, ScopePermissions.Search })
        {
            if ((permissions & flag) != 0)
            {
                yield return flag;
            }
        }
    }
}

/// <summary>The request's authorization record, filled as the request runs (one per request).</summary>
internal sealed class AccessTracker
{
    private int _denied;
    private string? _firstReason;
    private int _breakGlass;

    public void Denied(string reason)
    {
        Interlocked.Increment(ref _denied);
        Interlocked.CompareExchange(ref _firstReason, reason, null);
    }

    public void BrokeGlass() => Interlocked.Exchange(ref _breakGlass, 1);

    public int DeniedCount => Volatile.Read(ref _denied);
    public string? FirstReason => Volatile.Read(ref _firstReason);
    public bool BreakGlassUsed => Volatile.Read(ref _breakGlass) == 1;
}
