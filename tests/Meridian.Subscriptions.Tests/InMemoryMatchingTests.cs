using System.Collections.Immutable;
using System.Globalization;
using Meridian.Api;
using Meridian.Fhir.Search;
using Meridian.Storage;
using Meridian.Subscriptions.Matching;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// The in-memory matcher against its oracle, the search path (<see cref="SubscriptionMatcher"/>:
/// the criteria as a store search restricted to the resource): over many generated resources and
/// criteria of every supported kind, both must decide the same, on both stores. Also: criteria
/// are evaluated against the event's version, and the index's anchors never hide a match.
/// </summary>
public abstract partial class InMemoryMatchingTests
{
    protected abstract bool Postgres { get; }

    private static readonly string[] s_criteria =
    [
        "Observation?code=1234-5",
        "Observation?code=http://loinc.org|1234-5",
        "Observation?code=|1234-5",
        "Observation?code=http://loinc.org|",
        "Observation?code=http://loinc.org|1234-5,http://snomed.info/sct|444",
        "Observation?code:text=gluc",
        "Observation?code:not=1234-5",
        "Observation?status=final,amended",
        "Observation?status=final&code=1234-5",
        "Observation?patient=Patient/p1",
        "Observation?subject=Patient/p2",
        "Observation?patient=p1",
        "Observation?subject:missing=true",
        "Observation?category=laboratory&patient=Patient/p2",
        "Observation?identifier=urn:sys|abc",
        "Observation?identifier=abc",
        "Observation?performer=Practitioner/dr1",
        "Observation?_tag=http://example.org/tags|urgent",
        "Observation?_count=5&code=444",
        "Observation",
        "Patient?name=smi",
        "Patient?family:exact=Smith",
        "Patient?name:contains=mit",
        "Patient?gender=female&family=smith",
        "Patient?gender:missing=true",
        "Patient?identifier=urn:mrn|",
    ];

    private static IEnumerable<string> Resources(int count)
    {
        var random = new Random(7);
        string[] codes = ["\"system\":\"http://loinc.org\",\"code\":\"1234-5\"", "\"code\":\"1234-5\"", "\"system\":\"http://snomed.info/sct\",\"code\":\"444\"", "\"system\":\"http://loinc.org\",\"code\":\"999-1\""];
        string[] texts = ["Glucose", "glucose fasting", "Hemoglobin", null!];
        string[] statuses = ["final", "preliminary", "amended"];
        string[] families = ["Smith", "smithers", "Goldsmith", "Jones", "Śmith"];
        for (var i = 0; i < count; i++)
        {
            if (i % 4 == 3)
            {
                var gender = random.Next(3) switch { 0 => "\"gender\":\"female\",", 1 => "\"gender\":\"male\",", _ => "" };
                var ident = random.Next(2) == 0 ? "\"identifier\":[{\"system\":\"urn:mrn\",\"value\":\"m" + i.ToString(CultureInfo.InvariantCulture) + "\"}]," : "";
                yield return $"{{\"resourceType\":\"Patient\",{gender}{ident}\"name\":[{{\"family\":\"{families[random.Next(families.Length)]}\"}}]}}";
                continue;
            }
            var text = texts[random.Next(texts.Length)];
            var code = $"{{\"coding\":[{{{codes[random.Next(codes.Length)]}}}]{(text is null ? "" : $",\"text\":\"{text}\"")}}}";
            var subject = random.Next(4) switch { 0 => "", 1 => ",\"subject\":{\"reference\":\"Patient/p1\"}", 2 => ",\"subject\":{\"reference\":\"Patient/p2\"}", _ => ",\"subject\":{\"reference\":\"Group/p1\"}" };
            var category = random.Next(2) == 0 ? ",\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]}]" : "";
            var identifier = random.Next(3) switch { 0 => ",\"identifier\":[{\"system\":\"urn:sys\",\"value\":\"abc\"}]", 1 => ",\"identifier\":[{\"value\":\"abc\"}]", _ => "" };
            var performer = random.Next(3) == 0 ? ",\"performer\":[{\"reference\":\"Practitioner/dr1\"}]" : "";
            var tag = random.Next(3) == 0 ? ",\"meta\":{\"tag\":[{\"system\":\"http://example.org/tags\",\"code\":\"urgent\"}]}" : "";
            yield return $"{{\"resourceType\":\"Observation\",\"status\":\"{statuses[random.Next(statuses.Length)]}\",\"code\":{code}{subject}{category}{identifier}{performer}{tag}}}";
        }
    }

    internal static RegisteredSubscription Subscription(string criteria)
    {
        var q = criteria.IndexOf('?', StringComparison.Ordinal);
        var type = q < 0 ? criteria : criteria[..q];
        var parameters = q < 0 ? [] : criteria[(q + 1)..].Split('&').Select(p => p.Split('=', 2)).Select(kv => new KeyValuePair<string, string>(kv[0], Uri.UnescapeDataString(kv[1]))).ToImmutableArray();
        var definition = new SubscriptionDefinition(FhirApi.DefaultTenant, "s", 1, SubscriptionStatusCodes.Active, ChannelKind.RestHook, "http://127.0.0.1:1/x", [], PayloadContent.Empty, null)
        {
            CriteriaType = type,
            CriteriaParameters = parameters,
        };
        return new RegisteredSubscription(definition, Caller.InsecureDev);
    }

    [Fact]
    public async Task In_memory_matching_equals_the_store_search_over_many_resources()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var created = new List<(string Type, string Id)>();
        foreach (var json in Resources(120))
        {
            var id = await f.CreateAsync(json);
            created.Add((json.Contains("\"Patient\",", StringComparison.Ordinal) && json.StartsWith("{\"resourceType\":\"Patient\"", StringComparison.Ordinal) ? "Patient" : "Observation", id));
        }
        var (compared, matches) = await CompareAsync(f, created, s_criteria);
        Assert.True(compared > 1000, $"compared {compared}");
        Assert.True(matches > 100 && matches < compared - 100, $"{matches} of {compared} matched: the corpus should separate the criteria");
    }

    /// <summary>Every criteria against every created resource of its type, in memory and by search: both must agree.</summary>
    private static async Task<(int Compared, int Matches)> CompareAsync(SubscriptionFixture f, List<(string Type, string Id)> created, IEnumerable<string> allCriteria)
    {
        var matcher = new SubscriptionMatcher(f.Api.HandleAsync);
        var compared = 0;
        var matches = 0;
        foreach (var criteria in allCriteria)
        {
            var subscription = Subscription(criteria);
            var compiled = CompiledCriteria.Compile(subscription.Definition.CriteriaType!, subscription.Definition.CriteriaParameters);
            Assert.True(compiled.InMemory, $"{criteria} should be evaluated in memory");
            foreach (var (type, id) in created.Where(c => c.Type == subscription.Definition.CriteriaType))
            {
                var stored = await f.Store.ReadAsync(FhirApi.DefaultTenant, type, id);
                var facts = ResourceFacts.From(stored!, SearchIndexer.R4)!;
                var inMemory = CriteriaEvaluator.Matches(compiled.Filter, facts);
                var change = new ChangeRecord(1, FhirApi.DefaultTenant, type, id, stored!.VersionId, ChangeKind.Create, stored.LastUpdated, null);
                var bySearch = await matcher.MatchesAsync(subscription, change, CancellationToken.None) == MatchOutcome.Match;
                Assert.True(inMemory == bySearch, $"{criteria} on {type}/{id}: in memory {inMemory}, search {bySearch}");
                // The anchors may only narrow the candidates, never drop a match.
                if (inMemory && !compiled.Anchors.IsEmpty)
                {
                    Assert.Contains(CompiledCriteria.KeysOf(facts), k => compiled.Anchors.Contains(k));
                }
                compared++;
                matches += inMemory ? 1 : 0;
            }
        }
        return (compared, matches);
    }

    [Fact]
    public void Criteria_outside_the_evaluator_keep_the_search_path()
    {
        Assert.True(CompiledCriteria.Compile("Observation", [new("date", "ge2020-01-01")]).InMemory);
        Assert.True(CompiledCriteria.Compile("Observation", [new("_lastUpdated", "gt2020"), new("value-quantity", "5|http://unitsofmeasure.org|mg")]).InMemory);
        Assert.True(CompiledCriteria.Compile("RiskAssessment", [new("probability", "ge0.5")]).InMemory);
        Assert.False(CompiledCriteria.Compile("Observation", [new("subject:Patient.name", "smith")]).InMemory);
        Assert.False(CompiledCriteria.Compile("Observation", [new("subject:Patient.birthdate", "ge1980")]).InMemory);
        Assert.False(CompiledCriteria.Compile("Patient", [new("_has:Observation:patient:date", "2020")]).InMemory);
        Assert.False(CompiledCriteria.Compile("Observation", [new("no-such-parameter", "x")]).InMemory);
        Assert.True(CompiledCriteria.Compile("Observation", [new("code", "1"), new("_count", "3")]).InMemory);
    }

    [Fact]
    public async Task Criteria_are_evaluated_against_the_event_version_not_the_current_one()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Meridian.Subscriptions.Tests.Resources.R4Subscription("Observation?code=1234-5", receiver.Url("ev")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");

        // The feed is slow: the update lands before the consumer sees the create.
        f.Paused = true;
        var obs = await f.CreateAsync(Meridian.Subscriptions.Tests.Resources.Observation("1234-5"));
        var update = await f.SendAsync("PUT", "Observation/" + obs, "{\"resourceType\":\"Observation\",\"id\":\"" + obs + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"999-1\"}]}}");
        Assert.True(update.IsSuccess);
        f.Paused = false;

        // Version 1 matched when it was written; version 2 does not match: exactly one notification, carrying version 1.
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("ev").Count >= 1, "the notification of version 1");
        var later = await f.CreateAsync(Meridian.Subscriptions.Tests.Resources.Observation("1234-5"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("ev").Any(r => r.Path.EndsWith("/" + later, StringComparison.Ordinal)), "a later notification (the feed has moved past the update)");
        var aboutObs = receiver.Got("ev").Where(r => r.Path.EndsWith("/" + obs, StringComparison.Ordinal)).ToList();
        var only = Assert.Single(aboutObs);
        using var doc = System.Text.Json.JsonDocument.Parse(only.Body);
        Assert.Equal("1", doc.RootElement.GetProperty("meta").GetProperty("versionId").GetString());
    }
}

public sealed class SqliteInMemoryMatchingTests : InMemoryMatchingTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresInMemoryMatchingTests : InMemoryMatchingTests
{
    protected override bool Postgres => true;
}
