using Meridian.Server.Limits;
using Meridian.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meridian.Server.Retention;

/// <summary>Runs <see cref="RetentionRunner"/> at start and then every <see cref="RetentionSettings.Interval"/>.</summary>
public sealed class RetentionService(RetentionRunner runner, TimeSpan interval, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting before the first run takes the writer.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            await runner.RunOnceAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(interval, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

public static class RetentionRegistration
{
    /// <summary>Registers the runner and, when any period is configured, the background service.
    /// Observers (<see cref="IRetentionObserver"/>) are taken from the container.</summary>
    public static WebApplicationBuilder AddMeridianRetention(this WebApplicationBuilder builder, RetentionSettings settings, IFhirStore store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Enabled)
        {
            return builder;
        }
        if (store.Find<IFhirStoreMaintenance>() is not { } maintenance)
        {
            throw new InvalidOperationException("Retention is configured but the store cannot hard-delete resources.");
        }
        var policy = settings.ToPolicy();
        var interval = Durations.Parse(settings.Interval);
        builder.Services.AddSingleton(sp => new RetentionRunner(maintenance, policy, TimeProvider.System,
            sp.GetServices<IRetentionObserver>(), sp.GetRequiredService<ILogger<RetentionRunner>>()));
        builder.Services.AddHostedService(sp => new RetentionService(sp.GetRequiredService<RetentionRunner>(), interval, TimeProvider.System));
        return builder;
    }
}
