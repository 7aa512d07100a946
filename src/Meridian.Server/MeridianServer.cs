using Meridian.Api;
using Meridian.Events.RabbitMq;
using Meridian.Server.Authentication;
using Meridian.Server.Events;
using Meridian.Server.Limits;
using Meridian.Server.Metrics;
using Meridian.Server.Retention;
using Meridian.Server.Subscriptions;
using Meridian.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Server;

/// <summary>
/// Builds the FHIR server: configuration (appsettings.json → MERIDIAN_* environment →
/// <paramref name="overrides"/>, e.g. command-line flags), validated options, the store
/// (migrated before the first request), the <see cref="FhirApi"/> and the endpoints.
/// </summary>
public static class MeridianServer
{
    /// <param name="contentRoot">Where appsettings.json is read from (default: the working directory).</param>
    public static Task<WebApplication> BuildAsync(string[] args, IReadOnlyDictionary<string, string?>? overrides, string? contentRoot = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, overrides, configureServices: null, contentRoot, cancellationToken);

    /// <param name="configureServices">Adds services before the container is built: event
    /// consumers (<c>IEventConsumer</c>), transports (<c>IEventTransportFactory</c>); tests use it.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, IReadOnlyDictionary<string, string?>? overrides, Action<IServiceCollection>? configureServices, string? contentRoot = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot ?? Directory.GetCurrentDirectory() });
        builder.Configuration.AddInMemoryCollection(MeridianEnvironment.Read(Environment.GetEnvironmentVariables()));
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IValidateOptions<MeridianServerOptions>, MeridianServerOptionsValidator>();
        builder.Services.AddOptions<MeridianServerOptions>().Bind(builder.Configuration.GetSection(MeridianServerOptions.Section)).ValidateOnStart();

        // Kestrel and the store need the options before the container exists: bind and validate now.
        var options = new MeridianServerOptions();
        builder.Configuration.GetSection(MeridianServerOptions.Section).Bind(options);
        var validation = new MeridianServerOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(MeridianServerOptions.Section, typeof(MeridianServerOptions), validation.Failures);
        }
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null); // enforced by the endpoint, with an OperationOutcome
        builder.AddMeridianLimits(options.Limits);
        Protection.ServerTls.Configure(builder, options);

        var (store, storageWarnings, _, masterKey) = await Protection.ServerEncryption.OpenStoreAsync(options, builder.Configuration, options.Storage.ApplyTo(AuditWiring.StoreOptions(TimeProvider.System)), cancellationToken).ConfigureAwait(false); // migrated, key checked
        builder.Services.AddSingleton<IFhirStore>(_ => store); // created by a factory, so the container disposes it at shutdown
        var audited = builder.Services.AddMeridianAudit(store, TimeProvider.System);
        builder.Services.AddSingleton<IFhirInterceptor, StoreBusyInterceptor>(); // inside audit: the 503 is audited as such
        builder.Services.AddMeridianMetrics();
        builder.Services.AddMeridianEvents(options.Events);
        builder.Services.AddMeridianRabbitMqTransport(); // Events:Transport = rabbitmq
        builder.Services.AddSingleton(new FhirApi(audited.WithCommitSignal(builder.Services), searchParser: null, options.ToApiOptions()));
        await builder.AddMeridianAuthenticationAsync(options, (Storage.Records.ISystemRecordStore)store, masterKey, cancellationToken).ConfigureAwait(false);
        builder.AddMeridianRetention(options.Retention, store);
        builder.Services.AddMeridianSubscriptions(options.Subscriptions);
        if (options.Hl7.Process)
        {
            // Accepted HL7 v2 messages land in the FHIR store through the mapping sets (issue 6, ADR 0024).
            // Through the REST path's interceptors (audit) as the sender's integration client, in its time zone.
            builder.Services.AddSingleton<Meridian.Hl7.Engine.Processing.IHl7MessageProcessor>(sp => new Meridian.Hl7.Fhir.Processing.FhirMappingProcessor(
                sp.GetRequiredService<FhirApi>(), new Meridian.Hl7.Fhir.Mapping.MappingSetCatalog(options.Hl7.MappingFolder),
                new Meridian.Hl7.Fhir.Processing.FhirMappingProcessorOptions
                {
                    Interceptors = [.. sp.GetServices<IFhirInterceptor>()],
                    TimeZoneFor = Meridian.Hl7.Fhir.Processing.SenderTimeZones.From(options.Hl7),
                }));
        }
        Hl7.Hl7Registration.AddMeridianHl7(builder, options.Hl7, store);

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        try
        {
            EventsWiring.Validate(app.Services, options.Events);
        }
        catch (OptionsValidationException)
        {
            await app.DisposeAsync().ConfigureAwait(false); // closes the store opened above
            throw;
        }
        foreach (var warning in storageWarnings)
        {
            app.Logger.LogWarning("{Warning}", warning);
        }
        app.UseMeridianRequestShapeLimits(options.Limits);
        Protection.ServerTls.Use(app, options);
        // Authentication first, so the rate limiter partitions by the verified client.
        app.UseMeridianAuthentication(options);
        app.UseMeridianLimits(options.Limits);
        app.MapFhir();
        app.MapMeridianMetrics(options);
        app.MapMeridianSubscriptions(options);
        Hl7.Hl7Endpoints.MapHl7(app);
        return app;
    }

    /// <summary>The addresses Kestrel listens on once started (port 0 resolved).</summary>
    public static IReadOnlyCollection<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
    }
}

/// <summary>Maps <c>MERIDIAN_X__Y</c> environment variables to configuration key <c>Meridian:X:Y</c>.</summary>
internal static class MeridianEnvironment
{
    private const string Prefix = "MERIDIAN_";

    public static Dictionary<string, string?> Read(System.Collections.IDictionary variables)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry e in variables)
        {
            if (e.Key is string key && key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && !key.StartsWith("MERIDIAN_TEST", StringComparison.OrdinalIgnoreCase))
            {
                result[MeridianServerOptions.Section + ":" + key[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = e.Value as string;
            }
        }
        return result;
    }
}
