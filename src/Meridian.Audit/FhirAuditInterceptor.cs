using System.Text.Json;
using Meridian.Api;
using Meridian.Audit.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// Audits every interaction that enters <see cref="FhirApi"/> (after microsoft/fhir-server: one
/// filter, not code sprinkled through handlers). A write's AuditEvent is committed with the data
/// by <see cref="AuditContributor"/>; anything else (reads, searches, history, operations,
/// refused and failed requests, a batch as a whole) is appended through
/// <see cref="AuditAppender"/> and durable before the response is returned. If that fails the
/// response is withheld (500): nothing is disclosed unaudited. AuditEvents themselves are
/// read-only through the API: any create, update, patch or delete of one is refused with 405.
/// </summary>
public sealed class FhirAuditInterceptor(AuditAppender appender, TimeProvider clock) : IFhirInterceptor
{
    public async Task<FhirResponse> HandleAsync(FhirRequest request, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(next);
        var (interaction, writesAuditEvents) = Inspect(request);
        var scope = new AuditScope(request, interaction, clock.GetUtcNow());
        FhirResponse response;
        if (writesAuditEvents)
        {
            response = FhirResponse.Error(405, IssueType.NotSupported, "AuditEvents are recorded by the server and cannot be created, updated, patched or deleted through the API.");
        }
        else
        {
            var audited = request with { WriteOptions = (request.WriteOptions ?? new TransactOptions()) with { Audit = scope } };
            try
            {
                response = await next(audited, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The host answers 500; the attempt is on record first.
                await RecordAsync(scope, FhirResponse.Error(500, IssueType.Exception, "The server failed to process the request."), CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        if (scope.CommittedRecords > 0 && response.IsSuccess && interaction.Code != "batch")
        {
            return response; // committed in the same transaction as the data
        }
        return await RecordAsync(scope, response, cancellationToken).ConfigureAwait(false)
            ? response
            : FhirResponse.Error(500, IssueType.Exception, "The interaction could not be audited, so its result is withheld.");
    }

    /// <summary>
    /// For a request refused before it reached the API (authentication failed: 401, body too
    /// large: 413): records it with its outcome, durable before the refusal is sent. Returns
    /// false if the record could not be written.
    /// </summary>
    public Task<bool> RecordRefusedAsync(FhirRequest request, FhirResponse refusal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(refusal);
        var scope = new AuditScope(request, AuditedInteraction.Classify(request.Method, request.Path), clock.GetUtcNow());
        return RecordAsync(scope, refusal, cancellationToken);
    }

    private Task<bool> RecordAsync(AuditScope scope, FhirResponse response, CancellationToken ct) =>
        appender.AppendAsync(scope.Request.Tenant, AuditEventWriter.ToContent(AuditRecords.ForResponse(scope, response, clock.GetUtcNow())), ct);

    /// <summary>The interaction (a POST to the base is a batch or a transaction by its Bundle
    /// type) and whether it would write an AuditEvent, directly or through a Bundle entry.</summary>
    internal static (AuditedInteraction Interaction, bool WritesAuditEvents) Inspect(FhirRequest request)
    {
        var interaction = AuditedInteraction.Classify(request.Method, request.Path);
        if (interaction.Type == AuditTypes.AuditEvent && interaction.Action is "C" or "U" or "D")
        {
            return (interaction, true);
        }
        if (interaction.Code != "transaction" || request.Body.IsEmpty)
        {
            return (interaction, false);
        }
        try
        {
            using var doc = JsonDocument.Parse(request.Body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (interaction, false);
            }
            if (root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "batch")
            {
                interaction = interaction with { Code = "batch" };
            }
            return (interaction, root.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array && entries.EnumerateArray().Any(e => EntryWritesAuditEvent(e, request.BaseUrl)));
        }
        catch (JsonException)
        {
            return (interaction, false); // the API answers the malformed Bundle
        }
    }

    private static bool EntryWritesAuditEvent(JsonElement entry, string baseUrl)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("request", out var req) || req.ValueKind != JsonValueKind.Object
            || !req.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String
            || !req.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        var method = m.GetString();
        var url = u.GetString()!;
        if (url.StartsWith(baseUrl + "/", StringComparison.Ordinal))
        {
            url = url[(baseUrl.Length + 1)..];
        }
        var path = url.Split('?')[0];
        return method is "POST" or "PUT" or "PATCH" or "DELETE"
            && AuditedInteraction.Classify(method!, path) is { Type: AuditTypes.AuditEvent, Action: "C" or "U" or "D" };
    }
}
