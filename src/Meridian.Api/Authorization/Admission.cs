using Meridian.Api.Internal;

namespace Meridian.Api.Authorization;

/// <summary>
/// Per request, before routing: who may knock at all. The CapabilityStatement is open; a caller
/// with no identity is 401; a token issued for another tenant is 403 on everything else, so
/// nothing of one tenant — data, ids, existence — is answered to another tenant's token.
/// Afterwards, the <see cref="AuthorizationDecision"/> audit records.
/// </summary>
internal static class Admission
{
    /// <summary>Header a host maps to <see cref="Caller.BreakGlassReason"/>; the same name flags a response that used it.</summary>
    public const string BreakGlassHeader = BreakGlass.Header;

    public static bool IsOpen(FhirRequest request) =>
        request.Method == "GET" && Route.Parse(request.Path).Kind == RouteKind.Metadata;

    public static FhirResponse? Check(FhirRequest request, AccessPolicy policy)
    {
        var caller = request.Caller;
        if (caller.IsInsecureDev || IsOpen(request))
        {
            return null;
        }
        if (caller.ClientId is null && caller.UserId is null && caller.Scopes.IsDefaultOrEmpty && caller.Roles.IsDefaultOrEmpty)
        {
            policy.Tracker.Denied("No authenticated caller.");
            return FhirResponse.Error(401, "login", "Authentication is required.");
        }
        if (caller.TokenTenant is { } tenant && !string.Equals(tenant, request.Tenant, StringComparison.Ordinal))
        {
            policy.Tracker.Denied($"The token is for tenant '{tenant}', the request for '{request.Tenant}'.");
            // Deliberately says nothing about the other tenant's content.
            return AccessGate.Forbidden("This token is not valid for this tenant.");
        }
        return null;
    }

    public static AuthorizationDecision Decide(FhirRequest request, FhirResponse response, AccessPolicy policy)
    {
        var t = policy.Tracker;
        var outcome = IsOpen(request) ? AuthorizationOutcome.Open
            : policy.IsUnrestricted ? AuthorizationOutcome.InsecureDev
            : t.DeniedCount > 0 && response.Status is 401 or 403 or 405 ? AuthorizationOutcome.Denied
            : t.BreakGlassUsed ? AuthorizationOutcome.BreakGlass
            : AuthorizationOutcome.Permitted;
        return new AuthorizationDecision(outcome)
        {
            Reason = t.FirstReason,
            BreakGlassReason = t.BreakGlassUsed ? request.Caller.BreakGlassReason : null,
            PatientContext = policy.PatientContext,
            DeniedParts = outcome == AuthorizationOutcome.Denied ? 0 : t.DeniedCount,
            InvalidScopes = policy.InvalidScopes,
        };
    }
}

/// <summary>Break-the-glass on the wire.</summary>
public static class BreakGlass
{
    /// <summary>Request header carrying the clinician's reason; on a response, <c>granted</c> when the override was used.</summary>
    public const string Header = "X-Meridian-Break-Glass";

    public const string Granted = "granted";
}
