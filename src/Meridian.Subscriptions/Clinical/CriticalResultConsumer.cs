using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Events;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Subscriptions.Clinical;

/// <summary>
/// Clinical notifications on the backbone: a <c>final</c> (or amended/corrected) DiagnosticReport
/// with a critical result — one of its result Observations interpreted HH, LL or AA
/// (v3-ObservationInterpretation) — becomes a Communication (category <c>alert</c>, priority
/// <c>stat</c>) about the report, for the patient, addressed to the patient's active CareTeams.
/// The Communication is a FHIR write like any other, so webhook and websocket delivery is the
/// Subscriptions machinery (<c>Communication?category=alert</c>) with all its guarantees; email
/// and SMS go through <see cref="AlertDispatchConsumer"/>. Idempotent under at-least-once input:
/// the Communication is a conditional create keyed by the report version.
/// </summary>
public sealed class CriticalResultConsumer(IFhirStore store, Func<FhirRequest, CancellationToken, Task<FhirResponse>> api) : IEventConsumer
{
    public const string IdentifierSystem = "urn:meridian:clinical-alert";
    public const string CommittedExtension = "https://meridian.dev/fhir/StructureDefinition/source-committed";
    private const string Interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    private static readonly HashSet<string> s_critical = new(StringComparer.Ordinal) { "HH", "LL", "AA" };

    public static Caller ServiceCaller { get; } = Caller.System("meridian-clinical-alerts", "system/Communication.crs", "system/CareTeam.rs", "system/Observation.rs", "system/DiagnosticReport.rs");

    public string Name => "clinical-alerts";

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var change in events)
        {
            if (change.Type != "DiagnosticReport" || change.Kind is not (ChangeKind.Create or ChangeKind.Update))
            {
                continue;
            }
            var report = await store.ReadVersionAsync(change.Tenant, change.Type, change.Id, change.VersionId, cancellationToken).ConfigureAwait(false);
            if (report is null || report.IsDeleted || JsonNode.Parse(report.Json.Span) is not JsonObject node)
            {
                continue;
            }
            if (node["status"]?.GetValue<string>() is not ("final" or "amended" or "corrected") || node["subject"]?["reference"]?.GetValue<string>() is not { } subject)
            {
                continue;
            }
            var critical = await CriticalResultsAsync(change.Tenant, node, cancellationToken).ConfigureAwait(false);
            if (critical.Count == 0)
            {
                continue;
            }
            await CreateAlertAsync(change, subject, critical, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The report's critical results, in the report's order. Its Observations are read
    /// in one search by id per chunk: one statement (and one pooled connection) for a report
    /// instead of one read per result (a 10-result ORU was ~60 statements with the pool's reset
    /// and scope entry of each read).</summary>
    private async Task<List<string>> CriticalResultsAsync(string tenant, JsonObject report, CancellationToken ct)
    {
        var references = new List<(string Reference, string Id)>();
        foreach (var result in report["result"]?.AsArray() ?? [])
        {
            var reference = result?["reference"]?.GetValue<string>();
            var parts = reference?.Split('/');
            if (parts is { Length: 2 } && parts[0] == "Observation" && parts[1].Length > 0)
            {
                references.Add((reference!, parts[1]));
            }
        }
        var observations = await ReadObservationsAsync(tenant, references.Select(r => r.Id).Distinct(StringComparer.Ordinal).ToArray(), ct).ConfigureAwait(false);
        var found = new List<string>();
        foreach (var (reference, id) in references)
        {
            if (observations.TryGetValue(id, out var json))
            {
                CollectCritical(json, reference, found);
            }
        }
        return found;
    }

    /// <summary>Current, not deleted Observations by id (a search matches exactly those).</summary>
    private async Task<Dictionary<string, ReadOnlyMemory<byte>>> ReadObservationsAsync(string tenant, string[] ids, CancellationToken ct)
    {
        const int Chunk = 100;
        var byId = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        for (var start = 0; start < ids.Length; start += Chunk)
        {
            var chunk = ids.AsSpan(start, Math.Min(Chunk, ids.Length - start)).ToArray();
            var result = await store.SearchAsync(tenant, new SearchQuery("Observation", new IdExpression([.. chunk])) { Count = chunk.Length }, ct).ConfigureAwait(false);
            foreach (var match in result.Matches)
            {
                byId[match.Id] = match.Json;
            }
        }
        return byId;
    }

    private static void CollectCritical(ReadOnlyMemory<byte> json, string reference, List<string> found)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (!root.TryGetProperty("interpretation", out var interpretations))
        {
            return;
        }
        foreach (var concept in interpretations.EnumerateArray())
        {
            if (!concept.TryGetProperty("coding", out var codings))
            {
                continue;
            }
            foreach (var coding in codings.EnumerateArray())
            {
                if (coding.TryGetProperty("system", out var system) && system.GetString() == Interpretation
                    && coding.TryGetProperty("code", out var code) && code.GetString() is { } c && s_critical.Contains(c))
                {
                    var name = root.TryGetProperty("code", out var oc) && oc.TryGetProperty("text", out var text) ? text.GetString() : reference;
                    found.Add($"{name}: {c}");
                }
            }
        }
    }

    private async Task CreateAlertAsync(ChangeRecord change, string subject, List<string> critical, CancellationToken ct)
    {
        var teams = await api(new FhirRequest("GET", "CareTeam")
        {
            Tenant = change.Tenant,
            Caller = ServiceCaller,
            Query = [new("subject", subject), new("status", "active"), new("_elements", "id"), new("_count", "100")],
        }, ct).ConfigureAwait(false);
        var recipients = new JsonArray();
        if (teams.IsSuccess)
        {
            using var doc = JsonDocument.Parse(teams.Body);
            if (doc.RootElement.TryGetProperty("entry", out var entries))
            {
                foreach (var e in entries.EnumerateArray())
                {
                    recipients.Add(new JsonObject { ["reference"] = "CareTeam/" + e.GetProperty("resource").GetProperty("id").GetString() });
                }
            }
        }
        var key = $"DiagnosticReport/{change.Id}/_history/{change.VersionId.ToString(CultureInfo.InvariantCulture)}";
        var communication = new JsonObject
        {
            ["resourceType"] = "Communication",
            ["extension"] = new JsonArray(new JsonObject { ["url"] = CommittedExtension, ["valueInstant"] = change.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) }),
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = IdentifierSystem, ["value"] = key }),
            ["status"] = "completed",
            ["category"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/communication-category", ["code"] = "alert" }) }),
            ["priority"] = "stat",
            ["subject"] = new JsonObject { ["reference"] = subject },
            ["about"] = new JsonArray(new JsonObject { ["reference"] = "DiagnosticReport/" + change.Id }),
            ["sent"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["payload"] = new JsonArray(new JsonObject { ["contentString"] = "Critical result: " + string.Join("; ", critical) }),
        };
        if (recipients.Count > 0)
        {
            communication["recipient"] = recipients;
        }
        var response = await api(new FhirRequest("POST", "Communication")
        {
            Tenant = change.Tenant,
            Caller = ServiceCaller,
            Body = System.Text.Encoding.UTF8.GetBytes(communication.ToJsonString()),
            Headers = new FhirRequestHeaders { ContentType = "application/fhir+json", IfNoneExist = $"identifier={IdentifierSystem}|{key}" },
        }, ct).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            // Thrown so the backbone offers the batch again: an alert must not be dropped.
            throw new InvalidOperationException($"clinical alert for {key} could not be written: HTTP {response.Status}");
        }
    }
}
