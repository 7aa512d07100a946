using System.Globalization;
using System.Text.Json.Nodes;

namespace Meridian.SubscriptionLoad;

/// <summary>One write the driver makes: what the criteria look at.</summary>
internal sealed record WriteSpec(string Type, int Code, int Patient, string Status, string Category)
{
    public string Json(IReadOnlyList<string> patientIds) => Type == "Encounter"
        ? new JsonObject
        {
            ["resourceType"] = "Encounter",
            ["status"] = Status,
            ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = Category },
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientIds[Patient] },
        }.ToJsonString()
        : new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = Status,
            ["category"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/observation-category", ["code"] = Category }) }),
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = Workload.Loinc(Code) }) },
            ["subject"] = new JsonObject { ["reference"] = "Patient/" + patientIds[Patient] },
            ["effectiveDateTime"] = "2026-11-22T08:00:00Z",
            ["valueQuantity"] = new JsonObject { ["value"] = 72, ["unit"] = "/min", ["system"] = "http://unitsofmeasure.org", ["code"] = "/min" },
        }.ToJsonString();
}

/// <summary>One subscription: its criteria as sent, and the same condition as a predicate so
/// the harness knows which notifications to expect.</summary>
internal sealed record SubscriptionSpec(int Index, string Criteria, Func<WriteSpec, bool> Matches);

/// <summary>
/// The write mix and the criteria mix. Writes: 90 % Observations (one of 1,000 LOINC-like codes,
/// one of the patients, status final 80 % / preliminary, category vital-signs or laboratory),
/// 10 % Encounters (one of four statuses, class AMB/IMP). Subscriptions, in proportion:
/// 40 % <c>Observation?code=</c> (one code each), 37 % <c>Observation?patient=</c> (one patient
/// each), 10 % <c>Observation?code=&amp;status=final</c>, 8 % <c>Observation?category=laboratory&amp;patient=</c>,
/// 2 % <c>Encounter?status=</c>, 3 % <c>Encounter?patient=&amp;status=finished</c>. Each
/// subscription matches a small fraction of the writes; a write matches about one subscription
/// on average (the harness prints the exact expected count).
/// </summary>
internal sealed class Workload(int patients, int seed)
{
    public const int Codes = 1000;
    private static readonly string[] s_encounterStatus = ["planned", "arrived", "in-progress", "finished"];
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public static string Loinc(int code) => (10000 + code).ToString(CultureInfo.InvariantCulture) + "-" + (code % 10).ToString(CultureInfo.InvariantCulture);

    public WriteSpec Next()
    {
        lock (_lock)
        {
            if (_random.Next(10) == 0)
            {
                return new WriteSpec("Encounter", 0, _random.Next(patients), s_encounterStatus[_random.Next(4)], _random.Next(2) == 0 ? "AMB" : "IMP");
            }
            return new WriteSpec("Observation", _random.Next(Codes), _random.Next(patients), _random.Next(5) == 0 ? "preliminary" : "final",
                _random.Next(2) == 0 ? "vital-signs" : "laboratory");
        }
    }

    public static IReadOnlyList<SubscriptionSpec> Subscriptions(int count, IReadOnlyList<string> patientIds)
    {
        var kinds = new (double Share, Func<int, int, SubscriptionSpec> Make)[]
        {
            (0.40, (k, n) => new(k, $"Observation?code=http://loinc.org|{Loinc(n % Codes)}", w => w.Type == "Observation" && w.Code == n % Codes)),
            (0.37, (k, n) => new(k, $"Observation?patient=Patient/{patientIds[n % patientIds.Count]}", w => w.Type == "Observation" && w.Patient == n % patientIds.Count)),
            (0.10, (k, n) => new(k, $"Observation?code={Loinc((Codes / 2 + n) % Codes)}&status=final", w => w.Type == "Observation" && w.Code == (Codes / 2 + n) % Codes && w.Status == "final")),
            (0.08, (k, n) => new(k, $"Observation?category=laboratory&patient=Patient/{patientIds[(patientIds.Count / 2 + n) % patientIds.Count]}",
                w => w.Type == "Observation" && w.Category == "laboratory" && w.Patient == (patientIds.Count / 2 + n) % patientIds.Count)),
            (0.02, (k, n) => new(k, $"Encounter?status={s_encounterStatus[n % 4]}", w => w.Type == "Encounter" && w.Status == s_encounterStatus[n % 4])),
            (0.03, (k, n) => new(k, $"Encounter?patient=Patient/{patientIds[n % patientIds.Count]}&status=finished",
                w => w.Type == "Encounter" && w.Patient == n % patientIds.Count && w.Status == "finished")),
        };
        var result = new List<SubscriptionSpec>(count);
        var start = 0;
        for (var i = 0; i < kinds.Length; i++)
        {
            var end = i == kinds.Length - 1 ? count : (int)Math.Round(count * kinds.Take(i + 1).Sum(x => x.Share));
            for (var k = start; k < end; k++)
            {
                result.Add(kinds[i].Make(k, k - start));
            }
            start = end;
        }
        return result;
    }
}
