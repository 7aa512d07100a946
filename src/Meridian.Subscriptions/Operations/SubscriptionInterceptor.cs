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
        // Every write that can create or change a Subscription records its caller as the owner in
        // the write's own transaction: a create/update/patch of Subscription (conditional ones and
        // PUT-as-create included) and a batch/transaction Bundle that may carry Subscription entries
        // (the entries run with the Bundle's WriteOptions, so the participant sees each entry's
        // operations: the Bundle's one transaction, or each batch entry's own).
        var bundle = IsBundle(request, segments);
        var recordsOwner = (bundle || (request.Method is "POST" or "PUT" or "PATCH" && segments.Length <= 2 && segments[0] == "Subscription"))
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
        if (participant is null || !response.IsSuccess)
        {
            return response;
        }
        if (participant.Ran)
        {
            if (!bundle || participant.Recorded > 0)
            {
                changed?.Invoke();
            }
            return response;
        }
        // A store without SQL ignores participants: record the owner after the commit, as before.
        var written = bundle ? SubscriptionLocations(response) : IdFrom(response, segments) is { } one ? [one] : [];
        foreach (var id in written)
        {
            await queue.SetOwnerAsync(request.Tenant, id, OwnerCodec.Encode(request.Caller), cancellationToken).ConfigureAwait(false);
        }
        if (written.Count > 0)
        {
            changed?.Invoke();
        }
        return response;
    }

    /// <summary><c>POST [base]</c>: a batch or transaction, whose entries may write Subscriptions.
    /// The participant decides per transaction on the parsed operations (<see cref="OwnerParticipant.Joins"/>),
    /// so Bundles without a Subscription keep the store's fast path.</summary>
    private static bool IsBundle(FhirRequest request, string[] segments) => request.Method == "POST" && segments is [""];

    /// <summary>The Subscriptions a batch/transaction response says were written (entry.response.location).</summary>
    private static List<string> SubscriptionLocations(FhirResponse response)
    {
        var ids = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (!doc.RootElement.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                return ids;
            }
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.TryGetProperty("response", out var r) && r.TryGetProperty("location", out var l) && l.GetString() is { } location
                    && r.TryGetProperty("status", out var st) && st.GetString() is { } status && status.StartsWith('2')
                    && IdFrom(new FhirResponse(200, ReadOnlyMemory<byte>.Empty) { Location = location }, ["Subscription"]) is { } id)
                {
                    ids.Add(id);
                }
            }
        }
        catch (JsonException)
        {
            // Not a Bundle: nothing to record.
        }
        return ids;
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
