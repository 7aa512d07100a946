using System.Diagnostics.Metrics;

namespace Meridian.Server.Limits;

/// <summary>
/// Counts the requests the abuse limits refuse (<c>meridian_limits_refused_total{reason}</c> on
/// <c>/metrics</c>). Throttled and oversized requests are deliberately not audited one by one
/// (that would be the flood's cost again), so this counter is how an operator sees a flood.
/// Reasons: <c>anonymous</c> (per-address bucket), <c>client</c> (per-client bucket),
/// <c>request-line</c>, <c>headers</c>.
/// </summary>
public sealed class LimitMetrics : IDisposable
{
    public const string MeterName = "Meridian.Server.Limits";

    private readonly Meter _meter;
    private readonly Counter<long> _refused;

    public LimitMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _refused = _meter.CreateCounter<long>("meridian.limits.refused", "{request}", "Requests refused by an abuse limit, by reason.");
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
