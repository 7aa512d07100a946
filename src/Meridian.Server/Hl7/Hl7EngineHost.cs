using Meridian.Audit;
using Meridian.Hl7.Engine;
using Meridian.Hl7.Engine.Processing;
using Meridian.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meridian.Server.Hl7;

/// <summary>
/// Runs the HL7 v2 engine inside the server: started before Kestrel accepts requests, stopped
/// (listener closed, queued inbox writes committed) at shutdown. The MLLP listener runs only
/// with <c>Meridian:Hl7:MllpPort</c> (<c>meridian serve --mllp-port N</c>); the HTTP endpoint and
/// the admin endpoints always use the engine. A processor (the v2→FHIR mapping) is taken from the
/// container when one is registered; without it messages wait in the inbox as received.
/// </summary>
public sealed class Hl7EngineHost(IFhirStore store, AuditAppender appender, Hl7EngineOptions options, IHl7MessageProcessor? processor) : IHostedService, IAsyncDisposable
{
    private Hl7Engine? _engine;

    /// <summary>The running engine; throws before the host started.</summary>
    public Hl7Engine Engine => _engine ?? throw new InvalidOperationException("the HL7 v2 engine has not started");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _engine ??= Hl7Engine.Start(store, appender, options, processor);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        var engine = Interlocked.Exchange(ref _engine, null);
        if (engine is not null)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }
    }
}

public static class Hl7Registration
{
    /// <summary>Registers the engine host (uses the store underneath the audit decorator and the audit appender).</summary>
    public static WebApplicationBuilder AddMeridianHl7(this WebApplicationBuilder builder, Hl7EngineOptions options, IFhirStore store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(sp => new Hl7EngineHost(store, sp.GetRequiredService<AuditAppender>(), options, sp.GetService<IHl7MessageProcessor>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Hl7EngineHost>());
        return builder;
    }
}
