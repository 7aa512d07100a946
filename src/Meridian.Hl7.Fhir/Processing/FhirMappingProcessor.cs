using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Fhir.Conversion;
using Meridian.Hl7.Fhir.Mapping;
using Meridian.Storage;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>How the processor lands messages: the interceptors of the REST path (audit), who the
/// integration is, the sender's time zone.</summary>
public sealed record FhirMappingProcessorOptions
{
    public Hl7ConversionOptions Conversion { get; init; } = Hl7ConversionOptions.Default;

    /// <summary>The interceptors every REST request runs through (the host's: the audit
    /// interceptor), so mapped writes are authorized and audited exactly like REST writes.</summary>
    public IReadOnlyList<IFhirInterceptor> Interceptors { get; init; } = [];

    /// <summary>The caller a message's writes run as; by default the sender's integration client
    /// (<see cref="StoredHl7Message.ClientId"/>, role <c>integration</c>) with <see cref="FhirMappingProcessor.Scopes"/>.</summary>
    public Func<StoredHl7Message, Caller>? CallerFor { get; init; }

    /// <summary>The sender's time zone for v2 times written without an offset; null (or no
    /// function): <see cref="Hl7ConversionOptions.TimeZone"/>, else UTC.</summary>
    public Func<StoredHl7Message, TimeZoneInfo?>? TimeZoneFor { get; init; }
}

/// <summary>
/// The HL7 engine's processor: converts stored messages with their sender's mapping set and posts
/// the transaction Bundle to the FHIR interaction layer through the host's interceptors — the
/// path a REST client's transaction takes — as the sending integration, so the writes are
/// authorized, validated and audited (an AuditEvent naming every written resource, the
/// integration as agent) like any other. A batch from the dispatcher (distinct ordering keys)
/// becomes one transaction (<see cref="BundleMerge"/>); if it is refused, each message is landed
/// alone, in order, so only the bad one fails. Given the dispatcher's inline completion, the
/// messages' inbox completion mark commits inside the same transaction (no commit of its own).
/// Upserts by identifier or deterministic id make a message processed twice (a crash before its
/// completion mark, a replay) change nothing.
/// </summary>
public sealed class FhirMappingProcessor : IHl7BatchProcessor
{
    private readonly FhirApi _api;
    private readonly MappingSetCatalog _catalog;
    private readonly FhirMappingProcessorOptions _options;

    public FhirMappingProcessor(FhirApi api, MappingSetCatalog catalog, FhirMappingProcessorOptions? options = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _options = options ?? new FhirMappingProcessorOptions();
    }

    public FhirMappingProcessor(FhirApi api, MappingSetCatalog catalog, Hl7ConversionOptions? conversion)
        : this(api, catalog, new FhirMappingProcessorOptions { Conversion = conversion ?? Hl7ConversionOptions.Default })
    {
    }

    /// <summary>The scopes the integration writes with: create/update (conditional) on any type, and search for conditional matching.</summary>
    public static readonly string[] Scopes = ["system/*.cus"];

    /// <summary>Conditional URLs already resolved by this processor's creates (skips their search).</summary>
    public ConditionalIdCache Ids { get; } = new();

    public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (await ProcessBatchAsync([message], cancellationToken).ConfigureAwait(false))[0];
    }

    public Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, CancellationToken cancellationToken) =>
        ProcessBatchAsync(messages, null, cancellationToken);

    /// <summary>Lands the batch; with <paramref name="completion"/>, the messages a transaction lands are
    /// marked processed inside it (<see cref="ProcessingOutcome.ProcessedAndRecorded"/>).</summary>
    public async Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, InlineCompletion? completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var outcomes = new ProcessingOutcome[messages.Count];
        var converted = new List<(int Index, JsonObject Bundle)>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var (bundle, failure) = Convert(messages[i]);
            if (bundle is null)
            {
                outcomes[i] = ProcessingOutcome.Failed(failure!);
            }
            else
            {
                converted.Add((i, bundle));
            }
        }
        if (converted.Count > 0)
        {
            var first = messages[converted[0].Index];
            var participant = completion?.Invoke([.. converted.Select(c => messages[c.Index])]);
            var failed = await LandAsync(first, [.. converted.Select(c => c.Bundle)], participant, cancellationToken).ConfigureAwait(false);
            if (failed is null)
            {
                foreach (var (index, _) in converted)
                {
                    outcomes[index] = Succeeded(participant);
                }
            }
            else if (converted.Count == 1)
            {
                outcomes[converted[0].Index] = ProcessingOutcome.Failed(failed);
            }
            else
            {
                // Isolate: each message alone, in inbox order (the merged Bundle's entries were
                // consumed, so convert again; this path is the rare one).
                foreach (var (index, _) in converted)
                {
                    var (bundle, failure) = Convert(messages[index]);
                    var single = bundle is null ? null : completion?.Invoke([messages[index]]);
                    var alone = bundle is null ? failure : await LandAsync(messages[index], [bundle], single, cancellationToken).ConfigureAwait(false);
                    outcomes[index] = alone is null ? Succeeded(single) : ProcessingOutcome.Failed(alone);
                }
            }
        }
        return [.. outcomes];
    }

    private static ProcessingOutcome Succeeded(ITransactionParticipant? completion) =>
        completion is null ? ProcessingOutcome.Processed : ProcessingOutcome.ProcessedAndRecorded;

    private (JsonObject? Bundle, string? Failure) Convert(StoredHl7Message message)
    {
        var set = _catalog.Get(message.MappingSet);
        if (set.Problems.Length > 0)
        {
            return (null, $"mapping set '{set.Name}' is broken: {set.Problems[0]}" + (set.Problems.Length > 1 ? $" (and {set.Problems.Length - 1} more)" : ""));
        }
        var conversion = _options.Conversion with { Sender = message.Sender };
        if (_options.TimeZoneFor?.Invoke(message) is { } zone)
        {
            conversion = conversion with { TimeZone = zone };
        }
        var result = new Hl7FhirConverter(set).Convert(message.Raw, conversion);
        return result.Success ? (result.Bundle, null) : (null, result.Error);
    }

    /// <summary>Posts the Bundles as one transaction; null when it committed, else the reason.</summary>
    private async Task<string?> LandAsync(StoredHl7Message first, List<JsonObject> bundles, ITransactionParticipant? completion, CancellationToken cancellationToken)
    {
        var merged = BundleMerge.Merge(bundles, first.Tenant, Ids);
        var caller = _options.CallerFor?.Invoke(first) ?? Caller.System(first.ClientId, Scopes);
        var request = new FhirRequest("POST", "")
        {
            Tenant = first.Tenant,
            Body = JsonSerializer.SerializeToUtf8Bytes(merged.Bundle),
            Headers = new FhirRequestHeaders { ContentType = "application/fhir+json", Prefer = "return=minimal" },
            Caller = caller,
            // The inbox marks the messages processed in this same transaction: committed together, or neither.
            WriteOptions = completion is null ? null : new TransactOptions { Participant = completion },
        };
        var response = await FhirInterceptors.RunAsync(_options.Interceptors, request, _api.HandleAsync, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccess)
        {
            foreach (var url in Learn(first.Tenant, merged.Conditional, response.Body))
            {
                // Matched an existing resource: one search now saves one in every later transaction.
                if (await ConditionalLookup.FindAsync(_api, first.Tenant, url, caller, cancellationToken).ConfigureAwait(false) is { } typeAndId)
                {
                    Ids.Learn(first.Tenant, url, typeAndId);
                }
            }
            return null;
        }
        foreach (var url in merged.FromCache)
        {
            Ids.Forget(first.Tenant, url);
        }
        var detail = response.Issues.Length > 0
            ? string.Join("; ", response.Issues.Take(3).Select(i => i.ToString()))
            : Encoding.UTF8.GetString(response.Body.Span);
        return $"the FHIR transaction was refused ({response.Status}): {detail}";
    }

    /// <summary>Remembers <c>Type/id</c> of each conditional entry the transaction created (201 +
    /// Location); returns the conditional URLs that updated an existing resource (200, no Location),
    /// at most <see cref="MaxLookups"/>, for <see cref="ConditionalLookup"/>.</summary>
    private List<string> Learn(string tenant, List<string?> conditional, ReadOnlyMemory<byte> body)
    {
        var updated = new List<string>();
        if (!conditional.Exists(c => c is not null))
        {
            return updated;
        }
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array || entries.GetArrayLength() != conditional.Count)
        {
            return updated;
        }
        var i = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            if (conditional[i++] is not { } url || !entry.TryGetProperty("response", out var response) || !response.TryGetProperty("status", out var status))
            {
                continue;
            }
            var code = status.GetString() ?? "";
            if (code.StartsWith("201", StringComparison.Ordinal) && response.TryGetProperty("location", out var location) && TypeAndId(location.GetString()) is { } typeAndId)
            {
                Ids.Learn(tenant, url, typeAndId);
            }
            else if (code.StartsWith("200", StringComparison.Ordinal) && updated.Count < MaxLookups)
            {
                updated.Add(url);
            }
        }
        return updated;
    }

    /// <summary>Lookups after one transaction at most: bounds the extra work after a restart, when
    /// every resource is unknown; the rest are learnt by later transactions.</summary>
    private const int MaxLookups = 16;

    /// <summary><c>Type/id</c> from <c>[base/]Type/id/_history/v</c>.</summary>
    private static string? TypeAndId(string? location)
    {
        if (location is null)
        {
            return null;
        }
        var parts = location.Split('/');
        var h = Array.LastIndexOf(parts, "_history");
        return h >= 2 ? parts[h - 2] + "/" + parts[h - 1] : parts.Length >= 2 ? parts[^2] + "/" + parts[^1] : null;
    }
}
