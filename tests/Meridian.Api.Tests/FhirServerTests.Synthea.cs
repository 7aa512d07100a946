using System.IO.Compression;
using System.Text.Json.Nodes;
using Meridian.Api.Tests.Support;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    /// <summary>
    /// Real Synthea transaction Bundles (every entry a POST, references by urn:uuid) load in one
    /// transaction each; every reference is rewritten to the created resource, and the
    /// patient's $everything finds every entry that belongs to its compartment.
    /// </summary>
    [Fact]
    public async Task Synthea_transaction_bundles_load_and_link()
    {
        var files = Directory.GetFiles(SharedData.PathOf("synthea", "bundles"), "*.json.gz")
            .OrderBy(f => new FileInfo(f).Length).ThenBy(f => f, StringComparer.Ordinal).Take(2);
        foreach (var file in files)
        {
            string json;
            await using (var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
            using (var reader = new StreamReader(gz))
            {
                json = await reader.ReadToEndAsync();
            }
            var bundle = JsonNode.Parse(json)!;
            var entryCount = bundle["entry"]!.AsArray().Count;
            var outsideCompartment = bundle["entry"]!.AsArray().Count(e => e!["resource"]!["resourceType"]!.GetValue<string>() is "Organization" or "Practitioner");

            var reply = await Api.PostAsync("", json);
            Assert.True(reply.Code == 200, reply.Text.Length > 2000 ? reply.Text[..2000] : reply.Text);
            var entries = reply.Json!["entry"]!.AsArray();
            Assert.Equal(entryCount, entries.Count);
            Assert.All(entries, e => Assert.StartsWith("201", e!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal));
            Assert.DoesNotContain("urn:uuid:", reply.Text, StringComparison.Ordinal);

            var patientId = entries.Select(e => e!["resource"]!).Single(r => r["resourceType"]!.GetValue<string>() == "Patient")["id"]!.GetValue<string>();
            // $everything pages (next links) like a search; following them yields each member once.
            var everything = new List<string>();
            string? url = $"Patient/{patientId}/$everything?_count=50";
            for (var pages = 0; url is not null && pages < 100; pages++)
            {
                var page = await Api.GetAsync(url);
                Assert.Equal(200, page.Code);
                // AuditEvents about the patient are in its compartment too (every interaction is audited).
                everything.AddRange((page.Json!["entry"]?.AsArray() ?? [])
                    .Where(e => e!["resource"]!["resourceType"]!.GetValue<string>() != "AuditEvent")
                    .Select(e => e!["fullUrl"]!.GetValue<string>()));
                url = NextLink(page.Json!);
            }
            Assert.Null(url);
            Assert.Equal(entryCount - outsideCompartment, everything.Count);
            Assert.Equal(everything.Count, everything.Distinct().Count());
        }
    }
}
