using Meridian.Events;
using Meridian.Events.Dispatch;
using Meridian.Events.Metrics;
using Meridian.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meridian.Server.Events;

/// <summary>
/// Runs this node's <see cref="EventBackbone"/> for the server's lifetime: the dispatcher and
/// every <see cref="IEventConsumer"/> in the container, on the configured transport. It starts
/// in the background and retries (a broker that is down at start): the FHIR API serves and
/// commits meanwhile, and the backbone catches up from the durable positions once it runs.
/// </summary>
internal sealed partial class EventBackboneService(IServiceProvider services, EventsSettings settings) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _starting = Task.CompletedTask;
    private EventBackbone? _backbone;
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = Task.Run(() => StartWithRetryAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _starting.ConfigureAwait(false);
        if (Interlocked.Exchange(ref _backbone, null) is { } backbone)
        {
            await backbone.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private async Task StartWithRetryAsync(CancellationToken ct)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Meridian.Events");
        var options = settings.ToOptions(e => BackboneFailed(log, e.Component, e.Name, e.Error));
        for (var attempt = 1; !ct.IsCancellationRequested; attempt++)
        {
            EventBackbone? backbone = null;
            try
            {
                var transport = EventsWiring.FactoryFor(services, settings.Transport).Create(services, options);
                backbone = new EventBackbone(
                    services.GetRequiredService<IFhirStore>(), transport, services.GetServices<IEventConsumer>(),
                    services.GetRequiredService<EventMetrics>(), services.GetRequiredService<CommitSignal>(), options);
                await backbone.StartAsync(ct).ConfigureAwait(false);
                _backbone = backbone;
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                StartFailed(log, settings.Transport, attempt, ex);
                if (backbone is not null)
                {
                    await backbone.DisposeAsync().ConfigureAwait(false);
                }
                try
                {
                    await Task.Delay(options.RetryDelay(attempt), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                if (backbone is not null)
                {
                    await backbone.DisposeAsync().ConfigureAwait(false);
                }
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event backbone: {Component} '{Name}' failed and will retry")]
    private static partial void BackboneFailed(ILogger logger, string component, string name, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event backbone: starting on transport '{Transport}' failed (attempt {Attempt}); retrying")]
    private static partial void StartFailed(ILogger logger, string transport, int attempt, Exception error);
}
