using System.Collections.Immutable;
using System.Text.Json;
using Meridian.Api;

namespace Meridian.Subscriptions.Model;

/// <summary>
/// The creator of a subscription as stored in <c>subscription_state.owner</c>: the parts of the
/// <see cref="Caller"/> that decide what it may read (client, user, roles, scopes, patient
/// context, token tenant, and the login (refresh-token family) for the revocation check). Connection details and break-the-glass are deliberately dropped: an
/// override is for one request, never for a standing feed.
/// </summary>
public static class OwnerCodec
{
    private sealed record Owner(string? ClientId, string? UserId, string? FhirUser, string[] Roles, string[] Scopes, string? PatientContext, string? TokenTenant, bool InsecureDev, string? Session = null);

    public static byte[] Encode(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var owner = new Owner(caller.ClientId, caller.UserId, caller.FhirUser, [.. caller.Roles.IsDefault ? [] : caller.Roles],
            [.. caller.Scopes.IsDefault ? [] : caller.Scopes], caller.PatientContext, caller.TokenTenant, caller.IsInsecureDev, caller.Session);
        return JsonSerializer.SerializeToUtf8Bytes(owner);
    }

    public static Caller Decode(byte[] bytes)
    {
        var o = JsonSerializer.Deserialize<Owner>(bytes) ?? throw new FormatException("empty subscription owner");
        return new Caller
        {
            ClientId = o.ClientId,
            UserId = o.UserId,
            FhirUser = o.FhirUser,
            Roles = [.. o.Roles],
            Scopes = [.. o.Scopes],
            PatientContext = o.PatientContext,
            TokenTenant = o.TokenTenant,
            IsInsecureDev = o.InsecureDev,
            Session = o.Session,
        };
    }
}
