using System.Text.Json.Nodes;

namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// Hostile values in every search parameter type (and in parameter names) give 400 or an empty
/// result — never a 500, an exception, or a match they do not denote. The tenant holds one
/// Patient "Alpha" (with an Observation), so a value that escapes its quoting and matches
/// everything shows up as a match.
/// </summary>
public abstract class InjectionTests(AuthzStoreFixture fx)
{
    private static readonly string[] s_values =
    [
        "' OR 1=1 --", "'; DROP TABLE resources; --", "\") OR (\"1\"=\"1", "Robert'); DELETE FROM resources;--",
        "%", "_", "%%", "\\", "\\%", "\0", "a\0b", "𝕏😀\u202E\uFEFF", "\uD800", "Ωmega",
        new string('a', 100_000), new string('\'', 5_000), "name.where(true)", "Patient.name.exists() or true", "$1", "@p0",
        "||", "::", "|", "a|b|c|d", "$", "*", "?", "&", "=", ",", ",,,", "\\,", "ge2020-13-45", "gt", "1e999999", "-0", "NaN",
        "Infinity", "0x1F", "9999999999999999999999999999999999", "Patient/../../etc", "http://x/Patient/1' --",
        "null", "true", "[]", "{}", "<script>", "%00", "%27%20OR%201=1", "eq", "ap", "sa' OR 'a'='a", "\r\n\t",
    ];

    /// <summary>(resource type, parameter, kind) — one per search parameter type and the special names.</summary>
    public static TheoryData<string, string> Parameters() => new()
    {
        { "Patient", "name" }, { "Patient", "name:exact" }, { "Patient", "name:contains" }, { "Patient", "address" }, // string
        { "Patient", "identifier" }, { "Patient", "gender" }, { "Observation", "code" }, { "Patient", "identifier:text" }, { "Observation", "code:not" }, // token
        { "Observation", "subject" }, { "Observation", "subject:Patient" }, // reference
        { "Patient", "birthdate" }, { "Patient", "_lastUpdated" }, // date
        { "RiskAssessment", "probability" }, // number
        { "Observation", "value-quantity" }, // quantity
        { "ValueSet", "url" }, { "ValueSet", "url:below" }, // uri
        { "Observation", "code-value-quantity" }, // composite
        { "Location", "near" }, // special
        { "Patient", "_id" }, { "Patient", "_text" }, { "Patient", "_content" }, { "Patient", "_filter" },
        { "Observation", "subject:Patient.name" }, { "Patient", "_has:Observation:subject:code" },
        { "Patient", "name:missing" }, { "Patient", "_include" }, { "Patient", "_revinclude" }, { "Patient", "_sort" }, { "Patient", "_total" },
    };

    [Theory]
    [MemberData(nameof(Parameters))]
    public async Task Hostile_values_give_400_or_nothing(string type, string parameter)
    {
        var tenant = await SeedAsync();
        var failures = new List<string>();
        // Result-shaping parameters, and :not (negation matches what lacks the value), may match.
        var shaping = parameter is "_include" or "_revinclude" or "_sort" or "_total" or "code:not";
        foreach (var value in s_values)
        {
            // Strict handling: a value that cannot be searched is a 400, never "match everything".
            var strict = await SearchAsync(tenant, type, [new(parameter, value)], strict: true);
            // (A value of only whitespace normalises to the empty string, which FHIR ignores.)
            Check(strict, $"{type}?{parameter}={Show(value)} (strict)", failures, allowMatches: shaping || string.IsNullOrWhiteSpace(value));
            // Lenient (the default) may ignore it, but only by saying so in an outcome entry.
            var lenient = await SearchAsync(tenant, type, [new(parameter, value)]);
            Check(lenient, $"{type}?{parameter}={Show(value)}", failures, allowMatches: true);
            if (!shaping && !string.IsNullOrWhiteSpace(value) && lenient.Status == 200 && Matches(lenient) > 0 && !HasOutcome(lenient))
            {
                failures.Add($"{type}?{parameter}={Show(value)}: matches without an outcome saying the parameter was ignored");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Hostile_parameter_names_give_400_or_nothing()
    {
        var tenant = await SeedAsync();
        var failures = new List<string>();
        foreach (var value in s_values.Take(30))
        {
            foreach (var name in new[] { value, "name:" + value, "subject:" + value + ".name", "_has:" + value + ":subject:code", "name" + value })
            {
                var response = await SearchAsync(tenant, "Patient", [new(name, "Alpha"), new("_id", "none")], strict: true);
                Check(response, $"Patient?{Show(name)}=Alpha", failures, allowMatches: false);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Hostile_values_in_result_parameters_never_fail_the_server()
    {
        var tenant = await SeedAsync();
        var failures = new List<string>();
        foreach (var name in new[] { "_count", "_elements", "_summary", "_cursor", "_format" })
        {
            foreach (var value in s_values)
            {
                var response = await SearchAsync(tenant, "Patient", [new(name, value)]);
                Check(response, $"Patient?{name}={Show(value)}", failures, allowMatches: true);
            }
        }
        foreach (var value in s_values)
        {
            var across = await fx.SendAsync(Admin(tenant), tenant, "GET", "", query: [new("_type", value)],
                headers: new FhirRequestHeaders { Prefer = "handling=strict" });
            Check(across, $"?_type={Show(value)} (strict)", failures, allowMatches: string.IsNullOrWhiteSpace(value));
            var lenient = await fx.SendAsync(Admin(tenant), tenant, "GET", "", query: [new("_type", value)]);
            Check(lenient, $"?_type={Show(value)}", failures, allowMatches: true);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static Caller Admin(string tenant) => Caller.System("injection-tests") with { TokenTenant = tenant };

    private async Task<string> SeedAsync()
    {
        var tenant = "inj" + Guid.NewGuid().ToString("N")[..12];
        await fx.SeedAsync(tenant, """{"resourceType":"Patient","name":[{"family":"Alpha","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01","identifier":[{"system":"urn:x","value":"A1"}]}""", "alpha");
        await fx.SeedAsync(tenant, """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:x","code":"c"}]},"subject":{"reference":"Patient/alpha"},"valueQuantity":{"value":1,"system":"http://unitsofmeasure.org","code":"mg"}}""", "obs");
        return tenant;
    }

    private Task<FhirResponse> SearchAsync(string tenant, string type, KeyValuePair<string, string>[] query, bool strict = false) =>
        fx.SendAsync(Admin(tenant), tenant, "GET", type, query: query,
            headers: strict ? new FhirRequestHeaders { Prefer = "handling=strict" } : null);

    private static void Check(FhirResponse response, string label, List<string> failures, bool allowMatches)
    {
        // 406: an unsupported _format is refused by content negotiation, as it should be.
        if (response.Status is not (200 or 400) && !(response.Status == 406 && label.Contains("_format", StringComparison.Ordinal)))
        {
            var text = AuthzStoreFixture.Text(response);
            failures.Add($"{label}: {response.Status} {text[..Math.Min(200, text.Length)]}");
            return;
        }
        if (response.Status == 200 && !allowMatches)
        {
            var matches = Matches(response);
            if (matches > 0)
            {
                failures.Add($"{label}: {matches} match(es)");
            }
        }
    }

    private static int Matches(FhirResponse response) =>
        (JsonNode.Parse(response.Body.Span)!["entry"]?.AsArray() ?? []).Count(e => e!["search"]?["mode"]?.GetValue<string>() == "match");

    private static bool HasOutcome(FhirResponse response) =>
        (JsonNode.Parse(response.Body.Span)!["entry"]?.AsArray() ?? []).Any(e => e!["search"]?["mode"]?.GetValue<string>() == "outcome");

    private static string Show(string value) => value.Length > 40 ? value[..20] + $"…({value.Length} chars)" : value.Replace("\0", "\\0", StringComparison.Ordinal);
}

public sealed class SqliteInjectionTests(SqliteAuthzFixture fx) : InjectionTests(fx), IClassFixture<SqliteAuthzFixture>;

public sealed class PostgresInjectionTests(PostgresAuthzFixture fx) : InjectionTests(fx), IClassFixture<PostgresAuthzFixture>;
