using System.Globalization;
using Meridian.Api;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// Date, number, quantity and <c>_lastUpdated</c> criteria in memory against the search oracle:
/// partial dates, instants with offsets that cross midnight UTC, Periods with an open end,
/// decimals whose precision sets the eq range, UCUM-convertible and plain quantities, quantity
/// comparators and Ranges with one bound — every prefix.
/// </summary>
public abstract partial class InMemoryMatchingTests
{
    private static readonly string[] s_prefixes = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

    private static IEnumerable<string> RangeCriteria()
    {
        const string Ucum = "http://unitsofmeasure.org";
        foreach (var prefix in s_prefixes)
        {
            yield return $"Observation?date={prefix}2020-06-15";
            yield return $"Condition?onset-date={prefix}2020";
            yield return $"Patient?birthdate={prefix}1980-05";
            yield return $"RiskAssessment?probability={prefix}0.5";
            yield return $"Observation?value-quantity={prefix}5.4|{Ucum}|mg";
            yield return $"Condition?onset-age={prefix}10|{Ucum}|a";
        }
        string[] more =
        [
            "Observation?date=2020",
            "Observation?date=ge2020-06-15T10:30:00Z",
            "Observation?date=2020-06-15T23:30:00-05:00",
            "Observation?date=lt2020-06-16T01:00:00%2B02:00",
            "Observation?date=le2020-06",
            "Observation?date=gt2020-12-31T23:59:59Z",
            "Observation?date=sa2019&date=eb2021",
            "Observation?date=2020,2021",
            "Observation?date:missing=true",
            "Condition?onset-date=2021-03",
            "Condition?onset-date=ne2019-12-31",
            "Patient?birthdate=1980",
            "Patient?birthdate=ge1980-05-31",
            "Patient?birthdate=1980-05-31T12:00:00Z",
            "Patient?birthdate=ap1980-05-31",
            "RiskAssessment?probability=0.50",
            "RiskAssessment?probability=100",
            "RiskAssessment?probability=ne100",
            "RiskAssessment?probability=le0.549",
            "RiskAssessment?probability=0.55",
            "RiskAssessment?probability:missing=true",
            "Observation?value-quantity=5.4||mg",
            "Observation?value-quantity=5.4",
            "Observation?value-quantity=5.40||mg",
            "Observation?value-quantity=100",
            "Observation?value-quantity=ne100",
            "Observation?value-quantity=ap100",
            "Observation?value-quantity=gt99.5",
            "Observation?value-quantity=le100.5|http://example.org/units|u",
            "Observation?value-quantity=100|http://example.org/units|u",
            $"Observation?value-quantity=0.0054|{Ucum}|g",
            $"Observation?value-quantity=gt5|{Ucum}|mg&date=ge2020",
            $"Observation?value-quantity=100|{Ucum}|mmol/L,5.4|{Ucum}|mg",
            "Observation?code=1234-5&date=2020-06",
            "Condition?onset-age=10||a",
            "Condition?onset-age=ne12",
            "Condition?onset-age=ge15",
            "Condition?onset-age:missing=false",
        ];
        foreach (var c in more)
        {
            yield return c;
        }
    }

    private static IEnumerable<(string Type, string Json)> RangeResources(int count)
    {
        var random = new Random(11);
        string[] instants =
        [
            "\"effectiveDateTime\":\"2020\"", "\"effectiveDateTime\":\"2020-06\"", "\"effectiveDateTime\":\"2020-06-15\"",
            "\"effectiveDateTime\":\"2020-06-15T10:30:00Z\"", "\"effectiveDateTime\":\"2020-06-15T23:30:00-05:00\"",
            "\"effectiveDateTime\":\"2020-06-16T01:00:00+02:00\"", "\"effectiveDateTime\":\"2021-01-01T00:00:00Z\"",
            "\"effectiveDateTime\":\"2019-12-31T23:59:59.999Z\"", "\"effectiveDateTime\":\"2020-12-31T23:59:59Z\"",
            "\"effectivePeriod\":{\"start\":\"2020-06-15\"}", "\"effectivePeriod\":{\"end\":\"2020-06-15T12:00:00Z\"}",
            "\"effectivePeriod\":{\"start\":\"2020-06-01\",\"end\":\"2020-06-30\"}", "\"effectivePeriod\":{\"start\":\"2019-06-01\",\"end\":\"2021-06-30\"}",
            "\"effectiveInstant\":\"2020-06-15T00:00:00.000+00:00\"",
        ];
        string[] quantities =
        [
            "{\"value\":5.4,\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}",
            "{\"value\":5.40,\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}",
            "{\"value\":0.0054,\"unit\":\"g\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"g\"}",
            "{\"value\":5.35,\"unit\":\"mg\"}",
            "{\"value\":5.4,\"unit\":\"mg\"}",
            "{\"value\":5.45,\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}",
            "{\"value\":100,\"unit\":\"u\",\"system\":\"http://example.org/units\",\"code\":\"u\"}",
            "{\"value\":99.5,\"unit\":\"u\",\"system\":\"http://example.org/units\",\"code\":\"u\"}",
            "{\"value\":100.5,\"system\":\"http://unitsofmeasure.org\",\"code\":\"mmol/L\"}",
            "{\"value\":100,\"system\":\"http://unitsofmeasure.org\",\"code\":\"mmol/L\"}",
            "{\"value\":5,\"comparator\":\"<\",\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}",
            "{\"value\":5,\"comparator\":\">=\",\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}",
        ];
        string[] onsets =
        [
            "\"onsetDateTime\":\"2020\"", "\"onsetDateTime\":\"2020-12-31T23:00:00-02:00\"", "\"onsetDateTime\":\"2019-12-31\"",
            "\"onsetDateTime\":\"2021-03-01T08:00:00+01:00\"", "\"onsetPeriod\":{\"start\":\"2020-03-01\"}", "\"onsetPeriod\":{\"end\":\"2019-06\"}",
            "\"onsetPeriod\":{\"start\":\"2019-11\",\"end\":\"2020-02\"}",
            "\"onsetAge\":{\"value\":10,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}",
            "\"onsetAge\":{\"value\":10.4,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}",
            "\"onsetAge\":{\"value\":120,\"unit\":\"mo\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mo\"}",
            "\"onsetAge\":{\"value\":12,\"unit\":\"yr\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}",
            "\"onsetRange\":{\"low\":{\"value\":10,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}}",
            "\"onsetRange\":{\"high\":{\"value\":15,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}}",
            "\"onsetRange\":{\"low\":{\"value\":8,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"},\"high\":{\"value\":12,\"unit\":\"a\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}}",
        ];
        string[] births = ["1980", "1980-05", "1980-05-31", "1980-06-01", "1979-12-31", "1980-05-01"];
        string[] probabilities =
        [
            "\"probabilityDecimal\":0.5", "\"probabilityDecimal\":0.50", "\"probabilityDecimal\":0.45", "\"probabilityDecimal\":0.55",
            "\"probabilityDecimal\":0.549", "\"probabilityDecimal\":0.4999", "\"probabilityDecimal\":1", "\"probabilityDecimal\":100", "\"probabilityDecimal\":99.5",
            "\"probabilityRange\":{\"low\":{\"value\":0.4}}", "\"probabilityRange\":{\"high\":{\"value\":0.6}}",
        ];
        for (var i = 0; i < count; i++)
        {
            switch (i % 5)
            {
                case 0 or 1:
                    var effective = random.Next(instants.Length + 1) is var e && e < instants.Length ? "," + instants[e] : "";
                    var value = random.Next(quantities.Length + 1) is var q && q < quantities.Length ? ",\"valueQuantity\":" + quantities[q] : "";
                    var code = random.Next(2) == 0 ? "1234-5" : "999-1";
                    yield return ("Observation", $"{{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{{\"coding\":[{{\"system\":\"http://loinc.org\",\"code\":\"{code}\"}}]}}{effective}{value}}}");
                    break;
                case 2:
                    var onset = random.Next(onsets.Length + 1) is var o && o < onsets.Length ? "," + onsets[o] : "";
                    yield return ("Condition", $"{{\"resourceType\":\"Condition\",\"subject\":{{\"reference\":\"Patient/p1\"}}{onset}}}");
                    break;
                case 3:
                    var birth = random.Next(births.Length + 1) is var b && b < births.Length ? $",\"birthDate\":\"{births[b]}\"" : "";
                    yield return ("Patient", $"{{\"resourceType\":\"Patient\",\"name\":[{{\"family\":\"P{i.ToString(CultureInfo.InvariantCulture)}\"}}]{birth}}}");
                    break;
                default:
                    var prediction = random.Next(probabilities.Length + 1) is var p && p < probabilities.Length ? $",\"prediction\":[{{{probabilities[p]}}}]" : "";
                    yield return ("RiskAssessment", $"{{\"resourceType\":\"RiskAssessment\",\"status\":\"final\",\"subject\":{{\"reference\":\"Patient/p1\"}}{prediction}}}");
                    break;
            }
        }
    }

    [Fact]
    public async Task In_memory_date_number_quantity_and_last_updated_matching_equal_the_store_search()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var created = new List<(string Type, string Id)>();
        foreach (var (type, json) in RangeResources(150))
        {
            created.Add((type, await f.CreateAsync(json)));
        }

        // _lastUpdated around a version's own instant, at millisecond precision (a 1 ms range), and far from it.
        var middle = (await f.Store.ReadAsync(FhirApi.DefaultTenant, created[70].Type, created[70].Id))!.LastUpdated.ToUniversalTime();
        var instant = middle.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var lastUpdated = s_prefixes.Select(p => $"Observation?_lastUpdated={p}{instant}")
            .Concat(["Observation?_lastUpdated=gt2000-01-01", "Observation?_lastUpdated=lt2000", "Patient?_lastUpdated=" + instant[..10] + "&birthdate=1980"]);

        var (compared, matches) = await CompareAsync(f, created, RangeCriteria().Concat(lastUpdated));
        Assert.True(compared > 2000, $"compared {compared}");
        Assert.True(matches > 300 && matches < compared - 300, $"{matches} of {compared} matched: the corpus should separate the criteria");
    }

    [Fact]
    public async Task A_date_criteria_is_evaluated_against_the_event_version_not_the_current_one()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Meridian.Subscriptions.Tests.Resources.R4Subscription("Observation?date=ge2020-01-01&date=lt2021", receiver.Url("ev")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");

        static string Obs(string? id, string date) => "{\"resourceType\":\"Observation\"" + (id is null ? "" : ",\"id\":\"" + id + "\"")
            + ",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"1234-5\"}]},\"effectiveDateTime\":\"" + date + "\"}";

        // The feed is slow: an update moving the date out of the criteria lands before the consumer sees the create.
        f.Paused = true;
        var obs = await f.CreateAsync(Obs(null, "2020-06-15T10:00:00+02:00"));
        var update = await f.SendAsync("PUT", "Observation/" + obs, Obs(obs, "2022-01-01"));
        Assert.True(update.IsSuccess);
        f.Paused = false;

        // Version 1 matched when it was written; version 2 does not: exactly one notification, carrying version 1.
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("ev").Count >= 1, "the notification of version 1");
        var later = await f.CreateAsync(Obs(null, "2020-12-31T23:59:59Z"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("ev").Any(r => r.Path.EndsWith("/" + later, StringComparison.Ordinal)), "a later notification (the feed has moved past the update)");
        var aboutObs = receiver.Got("ev").Where(r => r.Path.EndsWith("/" + obs, StringComparison.Ordinal)).ToList();
        var only = Assert.Single(aboutObs);
        using var doc = System.Text.Json.JsonDocument.Parse(only.Body);
        Assert.Equal("1", doc.RootElement.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("2020-06-15T10:00:00+02:00", doc.RootElement.GetProperty("effectiveDateTime").GetString());
    }
}
