using System.Collections.Concurrent;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// Per endpoint (scheme, host, port): a Polly pipeline — a circuit breaker around a timeout —
/// and a concurrency limit. A hanging endpoint uses up only its own slots and times out; a
/// failing one trips its own breaker and is then skipped quickly until the break ends; no
/// other endpoint waits for either.
/// </summary>
public sealed class EndpointGuards(SubscriptionOptions options, SubscriptionMetrics metrics)
{
    private readonly ConcurrentDictionary<string, Guard> _guards = new(StringComparer.Ordinal);

    public sealed record Guard(ResiliencePipeline<SendResult> Pipeline, CircuitBreakerStateProvider State, SemaphoreSlim Slots);

    public Guard For(string endpoint) => _guards.GetOrAdd(endpoint, Create);

    /// <summary>Runs one attempt under the endpoint's limits; failures, timeouts and an open breaker come back as values.</summary>
    public async Task<SendResult> RunAsync(string endpoint, Func<CancellationToken, ValueTask<SendResult>> send, CancellationToken ct)
    {
        var guard = For(endpoint);
        await guard.Slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await guard.Pipeline.ExecuteAsync(static (s, t) => s(t), send, ct).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            return SendResult.Failed($"circuit open for {endpoint} (recent deliveries failed)");
        }
        catch (TimeoutRejectedException)
        {
            return SendResult.Failed($"no answer from {endpoint} within {options.DeliveryTimeout.TotalSeconds:0.###} s");
        }
        finally
        {
            guard.Slots.Release();
        }
    }

    private Guard Create(string endpoint)
    {
        var state = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder<SendResult>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<SendResult>
            {
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null || args.Outcome.Result is { Ok: false }),
            })
            .AddTimeout(options.DeliveryTimeout)
            .Build();
        metrics.TrackBreaker(endpoint, () => (int)state.CircuitState);
        return new Guard(pipeline, state, new SemaphoreSlim(options.MaxConcurrencyPerEndpoint, options.MaxConcurrencyPerEndpoint));
    }
}
