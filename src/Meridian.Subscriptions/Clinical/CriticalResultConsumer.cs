using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Events;
using Meridian.Storage;

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

    private async Task<List<string>> CriticalResultsAsync(string tenant, JsonObject report, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var result in report["result"]?.AsArray() ?? [])
        {
            var reference = result?["reference"]?.GetValue<string>();
            var parts = reference?.Split('/');
            if (parts is not { Length: 2 } || parts[0] != "Observation")
            {
                continue;
            }
            var observation = await store.ReadAsync(tenant, "Observation", parts[1], ct).ConfigureAwait(false);
            if (observation is null || observation.IsDeleted)
            {
                continue;
            }
            using var doc = JsonDocument.Parse(observation.Json);
            var root = doc.RootElement;
            if (!root.TryGetProperty("interpretation", out var interpretations))
            {
                continue;
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
        return found;
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
