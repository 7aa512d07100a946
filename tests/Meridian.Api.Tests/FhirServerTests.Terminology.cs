namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    private const string BodySystem = "http://example.org/cs/body";

    private async Task<Dictionary<string, string>> TerminologyFixtureAsync()
    {
        // A hierarchy by nesting (A > B > C) and by property (D subsumedBy A).
        await Api.CreateAsync($$$"""
            {"resourceType":"CodeSystem","url":"{{{BodySystem}}}","status":"active","content":"complete","hierarchyMeaning":"is-a",
             "property":[{"code":"subsumedBy","type":"code"}],
             "concept":[{"code":"A","concept":[{"code":"B","concept":[{"code":"C"}]}]},
                        {"code":"D","property":[{"code":"subsumedBy","valueCode":"A"}]},{"code":"E"}]}
            """);
        await Api.CreateAsync("""
            {"resourceType":"ValueSet","url":"http://example.org/vs/explicit","status":"active",
             "compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"8867-4"},{"code":"1111-1"}]}]}}
            """);
        await Api.CreateAsync($$$"""
            {"resourceType":"ValueSet","url":"http://example.org/vs/whole","status":"active",
             "compose":{"include":[{"system":"{{{BodySystem}}}"}],"exclude":[{"system":"{{{BodySystem}}}","concept":[{"code":"E"}]}]}}
            """);
        await Api.CreateAsync($$$"""
            {"resourceType":"ValueSet","url":"http://example.org/vs/is-a-b","status":"active",
             "compose":{"include":[{"system":"{{{BodySystem}}}","filter":[{"property":"concept","op":"is-a","value":"B"}]}]}}
            """);
        var ids = new Dictionary<string, string>();
        foreach (var code in new[] { "8867-4", "1111-1", "2222-2" })
        {
            ids[code] = (await Api.CreateAsync(Observation("Patient/t", code))).Id;
        }
        foreach (var code in new[] { "A", "B", "C", "D", "E" })
        {
            ids[code] = (await Api.CreateAsync($$$"""
                {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"{{{BodySystem}}}","code":"{{{code}}}"}]}}
                """)).Id;
        }
        return ids;
    }

    [Fact]
    public async Task Token_in_and_not_in_expand_stored_and_specification_value_sets()
    {
        var ids = await TerminologyFixtureAsync();
        async Task<List<string>> Codes(string query)
        {
            var reply = await Api.GetAsync(query + "&_count=50");
            Assert.True(reply.Code == 200, reply.Text);
            return [.. Ids(reply.Json!).Select(id => ids.Single(kv => kv.Value == id).Key).Order(StringComparer.Ordinal)];
        }
        Assert.Equal(["1111-1", "8867-4"], await Codes("Observation?code:in=http://example.org/vs/explicit"));
        Assert.Equal(["2222-2", "A", "B", "C", "D", "E"], await Codes("Observation?code:not-in=http://example.org/vs/explicit"));
        Assert.Equal(["A", "B", "C", "D"], await Codes("Observation?code:in=http://example.org/vs/whole"));
        Assert.Equal(["B", "C"], await Codes("Observation?code:in=http://example.org/vs/is-a-b"));
        Assert.Equal(["1111-1", "8867-4", "B", "C"], await Codes("Observation?code:in=http://example.org/vs/explicit,http://example.org/vs/is-a-b"));
        Assert.Equal(["8867-4"], await Codes("Observation?code:in=http://example.org/vs/explicit&code=8867-4"));

        // The specification's expanded value sets (required bindings) work too.
        var male = (await Api.CreateAsync(Patient("Vs", gender: "male"))).Id;
        var female = (await Api.CreateAsync(Patient("Vs", gender: "female"))).Id;
        var spec = await Api.GetAsync("Patient?family=Vs&gender:in=http://hl7.org/fhir/ValueSet/administrative-gender");
        Assert.Equal(new[] { male, female }.Order(), Ids(spec.Json!).Order());
        await Api.CreateAsync("""
            {"resourceType":"ValueSet","url":"http://example.org/vs/men","status":"active",
             "compose":{"include":[{"system":"http://hl7.org/fhir/administrative-gender","concept":[{"code":"male"}]}]}}
            """);
        Assert.Equal([male], Ids((await Api.GetAsync("Patient?family=Vs&gender:in=http://example.org/vs/men")).Json!));
        Assert.Equal([female], Ids((await Api.GetAsync("Patient?family=Vs&gender:not-in=http://example.org/vs/men")).Json!));

        var unknown = await Api.GetAsync("Observation?code:in=http://example.org/vs/nope");
        Assert.Equal(400, unknown.Code);
        Assert.Equal("OperationOutcome", unknown.Json!["resourceType"]!.GetValue<string>());
        Assert.Contains("http://example.org/vs/nope", unknown.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_below_and_above_follow_stored_code_system_hierarchies()
    {
        var ids = await TerminologyFixtureAsync();
        async Task<List<string>> Codes(string query)
        {
            var reply = await Api.GetAsync(query);
            Assert.True(reply.Code == 200, reply.Text);
            return [.. Ids(reply.Json!).Select(id => ids.Single(kv => kv.Value == id).Key).Order(StringComparer.Ordinal)];
        }
        Assert.Equal(["A", "B", "C", "D"], await Codes($"Observation?code:below={BodySystem}|A"));
        Assert.Equal(["B", "C"], await Codes($"Observation?code:below={BodySystem}|B"));
        Assert.Equal(["A", "B", "C"], await Codes($"Observation?code:above={BodySystem}|C"));
        Assert.Equal(["A", "D"], await Codes($"Observation?code:above={BodySystem}|D"));
        Assert.Equal(["B", "C", "E"], await Codes($"Observation?code:below={BodySystem}|B,{BodySystem}|E"));

        var unknownSystem = await Api.GetAsync("Observation?code:below=http://example.org/cs/nope|A");
        Assert.Equal(400, unknownSystem.Code);
        Assert.Contains("http://example.org/cs/nope", unknownSystem.Text, StringComparison.Ordinal);
        Assert.Equal(400, (await Api.GetAsync($"Observation?code:below={BodySystem}|Z")).Code);
        Assert.Equal(400, (await Api.GetAsync("Observation?code:below=A")).Code);
    }
}
