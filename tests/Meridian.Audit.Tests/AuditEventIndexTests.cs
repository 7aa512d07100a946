using System.Text;
using Meridian.Api;
using Meridian.Audit.Internal;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Xunit.Abstractions;

namespace Meridian.Audit.Tests;

/// <summary>
/// The audit path builds an AuditEvent's stored content without the generic round trip
/// (JSON written, parsed, written again, indexed): what it stores must be exactly what that
/// round trip gives, byte for byte and index row for index row, so AuditEvents stay searchable
/// with every search parameter and their hash chain covers the same bytes.
/// </summary>
public sealed class AuditEventIndexTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);

    private static readonly Caller s_clinician = new()
    {
        ClientId = "ehr-app",
        UserId = "u-42",
        FhirUser = "Practitioner/p1",
        Roles = ["clinician", "nurse"],
        TokenId = "tok/1+2",
        RemoteAddress = "10.1.2.3",
        UserAgent = "curl/8.0 <\"ünïcode\" & co>",
    };

    public static TheoryData<string> Records() => [.. s_records.Keys];

    private static readonly Dictionary<string, AuditRecord> s_records = new(StringComparer.Ordinal)
    {
        ["read-anonymous"] = ForResponse("GET", "Observation/o-1", Caller.Anonymous, Body("{\"resourceType\":\"Observation\",\"id\":\"o-1\",\"subject\":{\"reference\":\"Patient/p-9\"}}")),
        ["read-clinician"] = ForResponse("GET", "Patient/123", s_clinician, Body("{\"resourceType\":\"Patient\",\"id\":\"123\"}") with { ETag = "W/\"3\"" }),
        ["search-backend"] = ForResponse("GET", "Observation", new Caller { ClientId = "backend", Roles = ["integration"] }, Body("{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}"), ("subject", "Patient/9"), ("code", "http://loinc.org|1234-5")),
        ["break-glass"] = ForResponse("GET", "Patient/5", s_clinician with { BreakGlassReason = "unconscious patient in ED — «urgent»" }, Body("{\"resourceType\":\"Patient\",\"id\":\"5\"}")),
        ["failure"] = ForResponse("PUT", "Patient/1", Caller.Anonymous, FhirResponse.Error(422, "processing", "bad <value> & \"quotes\"")),
        ["operation"] = ForResponse("POST", "Patient/1/$everything", s_clinician, Body("{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}")),
    };

    private static FhirResponse Body(string json) => new(200, Encoding.UTF8.GetBytes(json));

    private static AuditRecord ForResponse(string method, string path, Caller caller, FhirResponse response, params (string, string)[] query)
    {
        var request = new FhirRequest(method, path)
        {
            Tenant = "acme",
            Caller = caller,
            Query = [.. query.Select(q => new KeyValuePair<string, string>(q.Item1, q.Item2))],
        };
        var scope = new AuditScope(request, AuditedInteraction.Classify(method, path), s_now);
        return AuditRecords.ForResponse(scope, response, s_now);
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void Stored_content_equals_the_generic_parse_write_and_extract_round_trip(string name)
    {
        var record = s_records[name];
        var content = AuditEventWriter.ToContent(record);

        var parsed = FhirJsonParser.R4.Parse(AuditEventWriter.ToJson(record), "AuditEvent").Resource!;
        var expectedJson = FhirJsonWriter.ToUtf8(parsed);
        var expectedIndex = SearchIndexer.R4.Extract(parsed);

        Assert.Equal(Encoding.UTF8.GetString(expectedJson), Encoding.UTF8.GetString(content.Json.Span));
        // The request path does not index (the store does, deferred): what the store extracts
        // from the stored bytes is the generic round trip's index.
        Assert.False(content.IsIndexed);
        var stored = SearchIndexer.R4.Extract(FhirJsonParser.R4.Parse(content.Json, "AuditEvent").Resource!);
        Assert.Equal(expectedIndex.Select(Describe), stored.Select(Describe));
        output.WriteLine($"{name}: {content.Json.Length} bytes, {stored.Length} index rows");
        foreach (var entry in stored)
        {
            output.WriteLine("  " + Describe(entry));
        }
    }

    private static string Describe(SearchIndexEntry e) => $"{e.Parameter.Code} {e.Parameter.Type} {e.Value}";
}
