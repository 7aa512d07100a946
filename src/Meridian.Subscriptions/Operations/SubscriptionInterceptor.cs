using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Api.Authorization;
using Meridian.Storage;
using Meridian.Subscriptions.Delivery;
using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Operations;

/// <summary>
/// The subscriptions' part of every FHIR request (an <see cref="IFhirInterceptor"/>, inside audit):
/// records the creator of each Subscription that is created or updated (whose read rules then
/// bound what it receives), and answers the operations: <c>Subscription/{id}/$status</c> and
/// <c>$events</c> (backport; anyone who may read the Subscription), and the operator's
/// <c>Subscription/$dead-letters</c>, <c>Subscription/{id}/$dead-letters</c> and
/// <c>Subscription/{id}/$replay</c> (admin role only).
/// </summary>
public sealed class SubscriptionInterceptor(SubscriptionQueue queue, SubscriptionRegistry registry, NotificationBuilder builder, IFhirStore store, Action? changed = null,
    WebSocketBindingTokens? bindingTokens = null, TimeProvider? timeProvider = null) : IFhirInterceptor
{
    public const string AdminRole = "admin";
    private readonly TimeProvider clock = timeProvider ?? TimeProvider.System;
    private const int MaxEvents = 500;

    public async Task<FhirResponse> HandleAsync(FhirRequest request, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(next);
        var segments = request.Path.Trim('/').Split('/');
        if (segments.Length is 2 or 3 && segments[0] == "Subscription" && segments[^1].StartsWith('$'))
        {
            var id = segments.Length == 3 ? segments[1] : null;
            var op = segments[^1][1..];
            if (op == WebSocketBindingTokens.Operation && bindingTokens is not null)
            {
                return await bindingTokens.IssueAsync(request, id, next, cancellationToken).ConfigureAwait(false);
            }
            if (op is "status" or "events" or "dead-letters" or "replay")
            {
                return await OperationAsync(request, op, id, next, cancellationToken).ConfigureAwait(false);
            }
        }
        var recordsOwner = request.Method is "POST" or "PUT" && segments.Length <= 2 && segments[0] == "Subscription"
            && request.Caller.ClientId != SubscriptionStatusWriter.ServiceCaller.ClientId; // the server's own status write keeps the creator
        OwnerParticipant? participant = null;
        if (recordsOwner)
        {
            // The creator commits with the Subscription (the lifecycle serves it only once this is on record).
            var options = request.WriteOptions ?? new TransactOptions();
            participant = new OwnerParticipant(OwnerCodec.Encode(request.Caller), clock.GetUtcNow().UtcTicks, options.Participant);
            request = request with { WriteOptions = options with { Participant = participant } };
        }
        var response = await next(request, cancellationToken).ConfigureAwait(false);
        if (recordsOwner && response.IsSuccess && IdFrom(response, segments) is { } createdId)
        {
            if (participant is not { Ran: true })
            {
                // A store without SQL ignores participants: record the owner after the commit, as before.
                await queue.SetOwnerAsync(request.Tenant, createdId, OwnerCodec.Encode(request.Caller), cancellationToken).ConfigureAwait(false);
            }
            changed?.Invoke();
        }
        return response;
    }

    private async Task<FhirResponse> OperationAsync(FhirRequest request, string op, string? id, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken ct)
    {
        var admin = request.Caller.IsInsecureDev || request.Caller.Roles.Contains(AdminRole, StringComparer.Ordinal);
        if (op is "dead-letters" or "replay")
        {
            if (!admin)
            {
                return Denied($"${op} is restricted to the {AdminRole} role.");
            }
            if (op == "replay" && (id is null || request.Method != "POST"))
            {
                return FhirResponse.Error(400, "invalid", "$replay is POST Subscription/{id}/$replay[?eventNumber=n...].");
            }
        }
        else if (id is null)
        {
            return FhirResponse.Error(400, "invalid", $"${op} is an instance operation: Subscription/{{id}}/${op}.");
        }
        if (id is not null)
        {
            // The caller must be able to read the Subscription itself: the API's own read decides (scopes, tenant).
            var read = await next(new FhirRequest("GET", "Subscription/" + id) { Tenant = request.Tenant, Caller = request.Caller, BaseUrl = request.BaseUrl }, ct).ConfigureAwait(false);
            if (!read.IsSuccess)
            {
                return read with { Body = read.Body };
            }
        }
        return op switch
        {
            "status" => await StatusAsync(request, id!, ct).ConfigureAwait(false),
            "events" => await EventsAsync(request, id!, ct).ConfigureAwait(false),
            "dead-letters" => await DeadLettersAsync(request, id, ct).ConfigureAwait(false),
            _ => await ReplayAsync(request, id!, ct).ConfigureAwait(false),
        };
    }

    private async Task<FhirResponse> StatusAsync(FhirRequest request, string id, CancellationToken ct)
    {
        var state = await queue.GetStateAsync(request.Tenant, id, ct).ConfigureAwait(false);
        var definition = registry.Find(request.Tenant, id)?.Definition ?? await ParseAsync(request.Tenant, id, ct).ConfigureAwait(false);
        if (definition is null)
        {
            return FhirResponse.Error(404, "not-found", $"Subscription/{id} is not served.");
        }
        var json = builder.Bundle(definition, NotificationTypes.QueryStatus, state?.Status ?? definition.Status, state?.LastEventNumber ?? 0, [], state?.LastError);
        return Ok(request, json);
    }

    private async Task<FhirResponse> EventsAsync(FhirRequest request, string id, CancellationToken ct)
    {
        var definition = registry.Find(request.Tenant, id)?.Definition ?? await ParseAsync(request.Tenant, id, ct).ConfigureAwait(false);
        if (definition is null)
        {
            return FhirResponse.Error(404, "not-found", $"Subscription/{id} is not served.");
        }
        if (!TryLong(request.QueryValue("eventsSinceNumber"), out var since) || !TryLong(request.QueryValue("eventsUntilNumber"), out var until))
        {
            return FhirResponse.Error(400, "invalid", "eventsSinceNumber and eventsUntilNumber are integers.");
        }
        var content = request.QueryValue("content") switch
        {
            "empty" => PayloadContent.Empty,
            "id-only" => PayloadContent.IdOnly,
            "full-resource" => PayloadContent.FullResource,
            _ => definition.Payload,
        };
        // Never more than the subscription itself may carry.
        if (content > definition.Payload)
        {
            content = definition.Payload;
        }
        var state = await queue.GetStateAsync(request.Tenant, id, ct).ConfigureAwait(false);
        var events = await queue.EventsAsync(request.Tenant, id, since, until, MaxEvents, ct).ConfigureAwait(false);
        var withResources = new List<(QueuedEvent, StoredResource?)>();
        foreach (var e in events)
        {
            var resource = content == PayloadContent.FullResource && e.Kind != ChangeKind.Delete
                ? await store.ReadVersionAsync(request.Tenant, e.ResourceType, e.ResourceId, e.VersionId, ct).ConfigureAwait(false)
                : null;
            withResources.Add((e, resource));
        }
        var json = builder.Bundle(definition with { Payload = content }, NotificationTypes.QueryEvent, state?.Status ?? definition.Status, state?.LastEventNumber ?? 0, withResources, null);
        return Ok(request, json);
    }

    private async Task<FhirResponse> DeadLettersAsync(FhirRequest request, string? id, CancellationToken ct)
    {
        var dead = await queue.DeadLettersAsync(request.Tenant, id, MaxEvents, ct).ConfigureAwait(false);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Parameters");
            w.WriteStartArray("parameter");
            foreach (var e in dead)
            {
                w.WriteStartObject();
                w.WriteString("name", "dead-letter");
                w.WriteStartArray("part");
                Part(w, "subscription", "valueReference", e.SubscriptionId);
                Part(w, "event-number", "valueString", e.EventNumber.ToString(CultureInfo.InvariantCulture));
                Part(w, "focus", "valueReference", $"{e.ResourceType}/{e.ResourceId}/_history/{e.VersionId.ToString(CultureInfo.InvariantCulture)}");
                Part(w, "attempts", "valueInteger", e.Attempts);
                Part(w, "queued", "valueInstant", e.Enqueued.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                Part(w, "error", "valueString", e.LastError ?? "");
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Ok(request, buffer.WrittenSpan.ToArray());
    }

    private async Task<FhirResponse> ReplayAsync(FhirRequest request, string id, CancellationToken ct)
    {
        var numbers = new List<long>();
        foreach (var (key, value) in request.Query)
        {
            if (key == "eventNumber")
            {
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    return FhirResponse.Error(400, "invalid", $"eventNumber '{value}' is not an integer.");
                }
                numbers.Add(n);
            }
        }
        var replayed = await queue.ReplayAsync(request.Tenant, id, numbers, ct).ConfigureAwait(false);
        changed?.Invoke();
        var json = $"{{\"resourceType\":\"Parameters\",\"parameter\":[{{\"name\":\"replayed\",\"valueInteger\":{replayed.ToString(CultureInfo.InvariantCulture)}}}]}}";
        return Ok(request, Encoding.UTF8.GetBytes(json));
    }

    private static void Part(Utf8JsonWriter w, string name, string type, object value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        switch (value)
        {
            case int i:
                w.WriteNumber(type, i);
                break;
            case string s when type == "valueReference":
                w.WriteStartObject(type);
                w.WriteString("reference", s.Contains('/', StringComparison.Ordinal) ? s : "Subscription/" + s);
                w.WriteEndObject();
                break;
            default:
                w.WriteString(type, value.ToString());
                break;
        }
        w.WriteEndObject();
    }

    private async Task<SubscriptionDefinition?> ParseAsync(string tenant, string id, CancellationToken ct)
    {
        var stored = await store.ReadAsync(tenant, "Subscription", id, ct).ConfigureAwait(false);
        return stored is null || stored.IsDeleted ? null : SubscriptionParser.Parse(tenant, id, stored.VersionId, stored.Json.Span).Definition;
    }

    private static bool TryLong(string? text, out long? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            value = v;
            return true;
        }
        return false;
    }

    private static FhirResponse Ok(FhirRequest request, byte[] json) =>
        new(200, json) { Authorization = new AuthorizationDecision(request.Caller.IsInsecureDev ? AuthorizationOutcome.InsecureDev : AuthorizationOutcome.Permitted) };

    private static FhirResponse Denied(string reason) =>
        FhirResponse.Error(403, "forbidden", reason) with { Authorization = new AuthorizationDecision(AuthorizationOutcome.Denied) { Reason = reason } };

    /// <summary>The id of the Subscription a successful create or update wrote (PUT: from the path; POST: from Location).</summary>
    private static string? IdFrom(FhirResponse response, string[] segments)
    {
        if (segments.Length == 2)
        {
            return segments[1];
        }
        if (response.Location is { } location)
        {
            var parts = location.Split('/');
            var i = Array.LastIndexOf(parts, "Subscription");
            if (i >= 0 && i + 1 < parts.Length)
            {
                return parts[i + 1];
            }
        }
        return null;
    }
}
