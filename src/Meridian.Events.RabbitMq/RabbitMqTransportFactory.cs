using System.Diagnostics.Metrics;
using Meridian.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// Makes <c>Meridian:Events:Transport = rabbitmq</c> available to the server. The settings
/// are checked when the factory is built, which the server does before it listens, so a
/// missing or malformed <c>Meridian:Events:RabbitMq:Uri</c> stops the start with a clear
/// message instead of a backbone that retries for ever.
/// </summary>
public sealed class RabbitMqTransportFactory : IEventTransportFactory
{
    public const string TransportName = "rabbitmq";

    private readonly RabbitMqSettings _settings = new();

    public RabbitMqTransportFactory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.GetSection(RabbitMqSettings.Section).Bind(_settings);
        var selected = string.Equals(configuration["Meridian:Events:Transport"], TransportName, StringComparison.OrdinalIgnoreCase);
        var problems = selected ? _settings.Problems().ToList() : [];
        if (problems.Count > 0)
            throw new OptionsValidationException(RabbitMqSettings.Section, typeof(RabbitMqSettings), problems);
    }

    public string Name => TransportName;

    public IEventTransport Create(IServiceProvider services, EventBackboneOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        var consumers = services.GetServices<IEventConsumer>().Select(c => c.Name);
        // The feed itself, so that a consumer whose queue came later still starts from its position.
        var store = services.GetService<IFhirStore>();
        ChangeHistory? history = store is null ? null : async (after, max, ct) => await store.ReadChangesAsync(after, max, ct).ConfigureAwait(false);
        return new RabbitMqTransport(_settings.ToOptions(options, consumers),
            services.GetService<ILogger<RabbitMqTransport>>(), services.GetService<IMeterFactory>(), history);
    }
}

/// <summary>Registration for the host.</summary>
public static class RabbitMqWiring
{
    /// <summary>Registers the <c>rabbitmq</c> transport factory next to the built-in in-process one.</summary>
    public static IServiceCollection AddMeridianRabbitMqTransport(this IServiceCollection services) =>
        services.AddSingleton<IEventTransportFactory, RabbitMqTransportFactory>();
}
