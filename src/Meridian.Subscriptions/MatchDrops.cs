using System.Globalization;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions;

/// <summary>
/// Matching the API could not do right now (a 5xx): thrown so the feed's batch is offered again
/// and its position does not move, instead of reading as "nothing matched".
/// </summary>
public sealed class MatchUnavailableException(string message) : Exception(message);

/// <summary>
/// Records notifications that are knowingly not sent because the subscription's creator may no
/// longer read the resources (401/403) or the criteria are no longer accepted: a counter
/// (<c>meridian.subscriptions.dropped</c>) and the subscription's last error (shown by
/// <c>$status</c>), so a drop is never silent.
/// </summary>
public sealed class MatchDrops(SubscriptionQueue queue, SubscriptionMetrics metrics)
{
    public async Task RecordAsync(RegisteredSubscription subscription, string type, int status, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var d = subscription.Definition;
        var reason = status is 401 or 403 ? "access" : "rejected";
        metrics.Dropped(reason, count);
        var why = status is 401 or 403
            ? $"{count.ToString(CultureInfo.InvariantCulture)} {type} change(s) not notified: the subscription's creator may no longer read them (HTTP {status.ToString(CultureInfo.InvariantCulture)})."
            : $"{count.ToString(CultureInfo.InvariantCulture)} {type} change(s) not notified: the criteria were rejected (HTTP {status.ToString(CultureInfo.InvariantCulture)}).";
        await queue.RecordErrorAsync(d.Tenant, d.Id, why, ct).ConfigureAwait(false);
    }
}
