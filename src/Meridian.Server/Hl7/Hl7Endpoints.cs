using System.Globalization;
using System.Text;
using Meridian.Api;
using Meridian.Audit;
using Meridian.Hl7.Engine;
using Meridian.Hl7.Engine.Inbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Hl7;

/// <summary>
/// HTTP face of the HL7 v2 engine, behind the same bearer authentication as the FHIR API:
/// <list type="bullet">
/// <item><c>POST /hl7/v2</c> (body: one ER7 message, <c>x-application/hl7-v2+er7</c>): received exactly as
/// over MLLP and answered with the ACK (200; the MSA code says accepted or not). The token's client
/// must be the sender's configured client.</item>
/// <item>Operators (role <c>admin</c>): <c>GET /hl7/v2/errors</c> (status, sender, stage, q, after, count),
/// <c>GET /hl7/v2/errors/{id}</c> (with the raw message), <c>POST /hl7/v2/errors/{id}/replay</c>,
/// <c>GET /hl7/v2/inbox</c> (counts per status). Each is audited.</item>
/// </list>
/// </summary>
public static class Hl7Endpoints
{
    public const string Er7MediaType = "x-application/hl7-v2+er7";
    public const string AdminRole = "admin";

    public static IEndpointRouteBuilder MapHl7(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/hl7/v2");
        group.MapPost("", ReceiveAsync);
        group.MapGet("/errors", ListErrorsAsync);
        group.MapGet("/errors/{id:long}", GetErrorAsync);
        group.MapPost("/errors/{id:long}/replay", ReplayAsync);
        group.MapGet("/inbox", CountsAsync);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext http, Hl7EngineHost host, IOptions<MeridianServerOptions> options, CancellationToken ct)
    {
        var caller = Authentication.HttpCaller.For(http, options.Value.InsecureDev);
        if (caller.ClientId is null)
        {
            return Results.Text("authentication required", statusCode: 401);
        }
        var body = await HttpBody.ReadAsync(http.Request, options.Value.Hl7.MaxFrameBytes, ct).ConfigureAwait(false);
        if (body is null)
        {
            return Results.Text($"the message exceeds {options.Value.Hl7.MaxFrameBytes} bytes", statusCode: 413);
        }
        var origin = new Hl7Origin("http", caller.RemoteAddress) { AuthenticatedClientId = caller.IsInsecureDev ? null : caller.ClientId };
        var receipt = await host.Engine.Receiver.ReceiveAsync(body.Value, origin, ct).ConfigureAwait(false);
        // 200 with the ACK whatever it says (as MLLP would); 503 when nothing was stored, so HTTP clients retry.
        return new AckResult(receipt.AckBytes, receipt.Kind == Hl7ReceiptKind.Unavailable ? 503 : 200);
    }

    private static async Task<IResult> ListErrorsAsync(HttpContext http, Hl7EngineHost host, CancellationToken ct)
    {
        if (await RefuseUnlessAdminAsync(http, "hl7v2-errors", ct).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }
        var q = http.Request.Query;
        var query = new ErrorQuery
        {
            Status = q["status"].FirstOrDefault() ?? ErrorStatus.Open,
            Sender = q["sender"].FirstOrDefault(),
            Stage = q["stage"].FirstOrDefault(),
            Text = q["q"].FirstOrDefault(),
            AfterId = long.TryParse(q["after"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after : 0,
            Max = int.TryParse(q["count"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 100,
        };
        if (query.Status == "all")
        {
            query = query with { Status = null };
        }
        var errors = await host.Engine.Inbox.ListErrorsAsync(query, ct).ConfigureAwait(false);
        return Results.Json(errors.Select(e => Summary(e, withRaw: false)));
    }

    private static async Task<IResult> GetErrorAsync(HttpContext http, long id, Hl7EngineHost host, CancellationToken ct)
    {
        if (await RefuseUnlessAdminAsync(http, "hl7v2-errors", ct).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }
        var error = await host.Engine.Inbox.GetErrorAsync(id, ct).ConfigureAwait(false);
        return error is null ? Results.NotFound() : Results.Json(Summary(error, withRaw: true));
    }

    private static async Task<IResult> ReplayAsync(HttpContext http, long id, Hl7EngineHost host, CancellationToken ct)
    {
        if (await RefuseUnlessAdminAsync(http, "hl7v2-replay", ct).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }
        var caller = http.Features.Get<Authentication.CallerFeature>()?.Caller;
        var result = await host.Engine.Replay.ReplayAsync(id, caller?.UserId ?? caller?.ClientId, ct).ConfigureAwait(false);
        return Results.Json(new { replayed = result.Replayed, message = result.Message, inboxId = result.InboxId, newErrorId = result.NewErrorId },
            statusCode: result.Replayed ? 200 : 409);
    }

    private static async Task<IResult> CountsAsync(HttpContext http, Hl7EngineHost host, CancellationToken ct)
    {
        if (await RefuseUnlessAdminAsync(http, "hl7v2-inbox", ct).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }
        return Results.Json(await host.Engine.Inbox.CountsAsync(ct).ConfigureAwait(false));
    }

    private static object Summary(Hl7Error e, bool withRaw) => new
    {
        id = e.Id,
        tenant = e.Tenant,
        stage = e.Stage,
        status = e.Status,
        sender = e.Sender,
        controlId = e.ControlId,
        messageType = e.MessageType,
        inboxId = e.InboxId,
        remote = e.Remote,
        reason = e.Reason,
        occurred = e.OccurredAt,
        replays = e.Replays,
        raw = withRaw ? Encoding.UTF8.GetString(e.Raw) : null,
    };

    /// <summary>Operators only; the access (granted or refused) is audited before answering, as FHIR reads are.</summary>
    private static async Task<IResult?> RefuseUnlessAdminAsync(HttpContext http, string operation, CancellationToken ct)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<MeridianServerOptions>>().Value;
        var caller = Authentication.HttpCaller.For(http, options.InsecureDev);
        var allowed = caller.IsInsecureDev || caller.Roles.Contains(AdminRole, StringComparer.Ordinal);
        var appender = http.RequestServices.GetRequiredService<AuditAppender>();
        var record = new AuditRecord(FhirApi.DefaultTenant, "operation", HttpMethods.IsGet(http.Request.Method) ? "R" : "E", DateTimeOffset.UtcNow,
            allowed ? "0" : "4", caller)
        {
            Operation = operation,
            Request = $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}",
            OutcomeDescription = allowed ? null : "the HL7 v2 error store is for operators (role admin)",
        };
        if (!await appender.AppendAsync(FhirApi.DefaultTenant, AuditEventWriter.ToContent(record), ct).ConfigureAwait(false))
        {
            return Results.Text("the request could not be audited", statusCode: 500);
        }
        return allowed ? null : Results.Text("the HL7 v2 error store is for operators (role admin)", statusCode: 403);
    }

    private sealed class AckResult(byte[] ack, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = Er7MediaType;
            httpContext.Response.ContentLength = ack.Length;
            await httpContext.Response.Body.WriteAsync(ack, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
