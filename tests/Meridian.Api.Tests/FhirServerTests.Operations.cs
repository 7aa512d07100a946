namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Metadata_describes_what_the_server_supports()
    {
        var reply = await Api.GetAsync("metadata");
        Assert.Equal(200, reply.Code);
        var cs = reply.Json!;
        Assert.Equal("CapabilityStatement", cs["resourceType"]!.GetValue<string>());
        Assert.Equal("4.0.1", cs["fhirVersion"]!.GetValue<string>());
        var rest = cs["rest"]![0]!;
        var resources = rest["resource"]!.AsArray();
        Assert.True(resources.Count > 140);
        var patient = resources.Single(r => r!["type"]!.GetValue<string>() == "Patient")!;
        var interactions = patient["interaction"]!.AsArray().Select(i => i!["code"]!.GetValue<string>()).ToList();
        Assert.Contains("patch", interactions);
        Assert.Contains("history-instance", interactions);
        var parameters = patient["searchParam"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("birthdate", parameters);
        Assert.Contains("identifier", parameters);
        Assert.Contains(patient["operation"]!.AsArray(), o => o!["name"]!.GetValue<string>() == "everything");
        var compartments = rest["compartment"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(5, compartments.Count);
        Assert.Contains("http://hl7.org/fhir/CompartmentDefinition/patient", compartments);
        Assert.Contains("http://hl7.org/fhir/CompartmentDefinition/relatedPerson", compartments);
        var system = rest["interaction"]!.AsArray().Select(i => i!["code"]!.GetValue<string>()).ToList();
        Assert.Contains("transaction", system);
        Assert.Contains("batch", system);
        // The server's own answer validates against the spec.
        var validated = await Api.PostAsync("CapabilityStatement/$validate", reply.Text);
        var errors = validated.Json!["issue"]!.AsArray().Where(i => i!["severity"]!.GetValue<string>() is "error" or "fatal").ToList();
        Assert.True(errors.Count == 0, string.Join(" | ", errors.Take(3).Select(e => e!.ToJsonString())));
    }

    [Fact]
    public async Task Patient_everything_returns_the_patient_compartment()
    {
        var p = (await Api.CreateAsync(Patient("Every"))).Id;
        var other = (await Api.CreateAsync(Patient("Other"))).Id;
        var obs = (await Api.CreateAsync(Observation($"Patient/{p}"))).Id;
        var encounter = (await Api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{p}}}"}}""")).Id;
        await Api.CreateAsync(Observation($"Patient/{other}"));

        var reply = await Api.GetAsync($"Patient/{p}/$everything");
        Assert.Equal(200, reply.Code);
        var ids = reply.Json!["entry"]!.AsArray().Where(e => e!["resource"]!["resourceType"]!.GetValue<string>() != "AuditEvent").Select(e => e!["resource"]!["resourceType"]!.GetValue<string>() + "/" + e!["resource"]!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { $"Patient/{p}", $"Observation/{obs}", $"Encounter/{encounter}" }, ids);
        Assert.Equal(404, (await Api.GetAsync("Patient/nobody/$everything")).Code);
    }

    [Fact]
    public async Task Patient_everything_pages_and_filters_by_since_type_and_care_dates()
    {
        var p = (await Api.CreateAsync(Patient("Pages"))).Id;
        var created = new HashSet<string> { $"Patient/{p}" };
        for (var i = 0; i < 6; i++)
        {
            created.Add("Observation/" + (await Api.CreateAsync(Observation($"Patient/{p}"))).Id);
        }
        var early = (await Api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{p}}}"},"period":{"start":"2001-02-03","end":"2001-02-04"}}""")).Id;
        var late = (await Api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{p}}}"},"period":{"start":"2020-02-03","end":"2020-02-04"}}""")).Id;
        created.Add($"Encounter/{early}");
        created.Add($"Encounter/{late}");

        var seen = new List<string>();
        string? url = $"Patient/{p}/$everything?_count=3";
        var pages = 0;
        for (; url is not null && pages < 10; pages++)
        {
            var page = await Api.GetAsync(url);
            Assert.Equal(200, page.Code);
            Assert.True(page.Json!["entry"]!.AsArray().Count <= 3);
            seen.AddRange(page.Json!["entry"]!.AsArray().Select(e => e!["resource"]!["resourceType"]!.GetValue<string>() + "/" + e!["resource"]!["id"]!.GetValue<string>()));
            url = NextLink(page.Json!);
            Assert.True(url is null || url.Contains("_count=3", StringComparison.Ordinal));
        }
        Assert.Equal(3, pages);
        Assert.Equal(created.Order(), seen.Order());

        var encounters = await Api.GetAsync($"Patient/{p}/$everything?_type=Encounter");
        Assert.Equal(2, encounters.Json!["total"]!.GetValue<int>());
        var byCareDate = await Api.GetAsync($"Patient/{p}/$everything?_type=Encounter,Patient&start=2019-01-01&end=2021");
        var kept = byCareDate.Json!["entry"]!.AsArray().Select(e => e!["resource"]!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { p, late }, kept);
        Assert.Equal([early], (await Api.GetAsync($"Patient/{p}/$everything?_type=Encounter&end=2010")).Json!["entry"]!.AsArray().Select(e => e!["resource"]!["id"]!.GetValue<string>()));

        var future = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null((await Api.GetAsync($"Patient/{p}/$everything?_since={future}")).Json!["entry"]);
        Assert.Equal(400, (await Api.GetAsync($"Patient/{p}/$everything?start=yesterday")).Code);
        Assert.Equal(400, (await Api.GetAsync($"Patient/{p}/$everything?_type=Nope")).Code);
    }

    [Fact]
    public async Task Validate_reports_issues_without_storing()
    {
        var ok = await Api.PostAsync("Patient/$validate", Patient("Valid"));
        Assert.Equal(200, ok.Code);
        Assert.DoesNotContain(ok.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var bad = await Api.PostAsync("Patient/$validate", Patient("Invalid", gender: "bogus"));
        Assert.Equal(200, bad.Code);
        Assert.Contains(bad.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var wrapped = await Api.PostAsync("Patient/$validate", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"resource\",\"resource\":" + Patient("P", gender: "bogus") + "}]}");
        Assert.Contains(wrapped.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        Assert.Equal(0, await CountAsync("Patient"));

        var id = (await Api.CreateAsync(Patient("Stored"))).Id;
        var instance = await Api.PostAsync($"Patient/{id}/$validate", null);
        Assert.Equal(200, instance.Code);
        Assert.DoesNotContain(instance.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var mismatch = await Api.PostAsync($"Patient/{id}/$validate", Patient("Other", id: "other-id"));
        Assert.Contains(mismatch.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
    }
}
