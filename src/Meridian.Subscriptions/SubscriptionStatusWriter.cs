using System.Globalization;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Storage;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions;

/// <summary>
/// Makes the subscription's status visible where FHIR clients look: <c>Subscription.status</c>
/// and (R4) <c>Subscription.error</c> on the resource itself, written as a new version through
/// the API as the subscription service (so it is validated and indexed like any write). Only
/// transitions are written, with If-Match, so a concurrent client edit wins and is re-read.
/// <para>The server never overrides a client's <c>off</c> (or <c>entered-in-error</c>): its
/// decision was taken from an older version, and re-reading the current one to write on top of it
/// would turn a subscription back on that its owner just switched off. Turning one off itself
/// (revoked access) is still written.</para>
/// </summary>
public sealed class SubscriptionStatusWriter(IFhirStore store, Func<FhirRequest, CancellationToken, Task<FhirResponse>> api)
{
    public static Caller ServiceCaller { get; } = Caller.System("meridian-subscriptions", "system/Subscription.cru");

    /// <returns>True when the resource now shows <paramref name="status"/> (written or already so).</returns>
    public async Task<bool> WriteAsync(string tenant, string id, string status, string? error, CancellationToken ct)
    {
        var current = await store.ReadAsync(tenant, "Subscription", id, ct).ConfigureAwait(false);
        if (current is null || current.IsDeleted)
        {
            return false;
        }
        if (JsonNode.Parse(current.Json.Span) is not JsonObject node)
        {
            return false;
        }
        var oldStatus = node["status"]?.GetValue<string>();
        var oldError = node["error"]?.GetValue<string>();
        if (oldStatus == status && oldError == error)
        {
            return true;
        }
        if (oldStatus is SubscriptionStatusCodes.Off or "entered-in-error" && status != SubscriptionStatusCodes.Off)
        {
            return false;
        }
        node["status"] = status;
        if (error is null)
        {
            node.Remove("error");
        }
        else
        {
            node["error"] = error.Length > 500 ? error[..500] : error;
        }
        var response = await api(new FhirRequest("PUT", $"Subscription/{id}")
        {
            Tenant = tenant,
            Caller = ServiceCaller,
            Body = System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()),
            Headers = new FhirRequestHeaders
            {
                ContentType = "application/fhir+json",
                IfMatch = "W/\"" + current.VersionId.ToString(CultureInfo.InvariantCulture) + "\"",
            },
        }, ct).ConfigureAwait(false);
        return response.IsSuccess;
    }
}
