using Meridian.Events;
using Meridian.Events.Dispatch;
using Meridian.Events.InProcess;
using Meridian.Events.Metrics;
using Meridian.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Events;

/// <summary>
/// Registers the event backbone: the commit signal (raised by the API's store after each
/// commit), the metrics, the in-process transport factory and the hosted service. Consumers
/// register themselves as <c>services.AddSingleton&lt;IEventConsumer, MyConsumer&gt;()</c>; other
/// transports as <c>services.AddSingleton&lt;IEventTransportFactory, MyFactory&gt;()</c>.
/// </summary>
public static class EventsWiring
{
    public static IServiceCollection AddMeridianEvents(this IServiceCollection services, EventsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(new CommitSignal());
        services.AddSingleton(sp => new EventMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<IEventTransportFactory, InProcessTransportFactory>();
        services.AddHostedService(sp => new EventBackboneService(sp, settings));
        return services;
    }

    /// <summary>The store the API writes through: raises the commit signal after each commit.</summary>
    public static IFhirStore WithCommitSignal(this IFhirStore store, IServiceCollection services)
    {
        var signal = services.LastOrDefault(d => d.ServiceType == typeof(CommitSignal))?.ImplementationInstance as CommitSignal
            ?? throw new InvalidOperationException("AddMeridianEvents first.");
        return new CommitSignalingStore(store, signal);
    }

    /// <summary>Stops the start (before Kestrel listens) when the configured transport is not available.</summary>
    public static void Validate(IServiceProvider services, EventsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _ = FactoryFor(services, settings.Transport);
    }

    internal static IEventTransportFactory FactoryFor(IServiceProvider services, string name)
    {
        var factories = services.GetServices<IEventTransportFactory>().ToList();
        return factories.LastOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new OptionsValidationException(MeridianServerOptions.Section, typeof(MeridianServerOptions),
                [$"Events:Transport '{name}' is not available in this server (available: {string.Join(", ", factories.Select(f => f.Name).Distinct())})."]);
    }

    private sealed class InProcessTransportFactory : IEventTransportFactory
    {
        public string Name => InProcessTransport.Name;

        public IEventTransport Create(IServiceProvider services, EventBackboneOptions options) =>
            new InProcessTransport(services.GetRequiredService<IFhirStore>(), options);
    }
}
