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
/// every <see cref="IEventConsumer"/> in the container, on the configured transport.
/// </summary>
internal sealed partial class EventBackboneService(IServiceProvider services, EventsSettings settings) : IHostedService, IAsyncDisposable
{
    private EventBackbone? _backbone;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Meridian.Events");
        var options = settings.ToOptions(e => BackboneFailed(log, e.Component, e.Name, e.Error));
        var factory = EventsWiring.FactoryFor(services, settings.Transport);
        var transport = factory.Create(services, options);
        _backbone = new EventBackbone(
            services.GetRequiredService<IFhirStore>(), transport, services.GetServices<IEventConsumer>(),
            services.GetRequiredService<EventMetrics>(), services.GetRequiredService<CommitSignal>(), options);
        await _backbone.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _backbone, null) is { } backbone)
        {
            await backbone.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event backbone: {Component} '{Name}' failed and will retry")]
    private static partial void BackboneFailed(ILogger logger, string component, string name, Exception error);
}
