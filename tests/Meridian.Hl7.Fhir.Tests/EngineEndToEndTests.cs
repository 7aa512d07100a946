using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api;
using Meridian.Audit;
using Meridian.Hl7.Engine;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Fhir.Mapping;
using Meridian.Hl7.Fhir.Processing;
using Meridian.Storage.Sqlite;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// The whole path over real TCP on 127.0.0.1: an MLLP client sends the IG's ORU^R01 and an
/// unmappable message to the engine running this processor; the ORU appears as FHIR resources,
/// the other lands in the error store with the mapping's reason.
/// </summary>
public sealed class EngineEndToEndTests
{
    [Fact]
    public async Task An_oru_sent_over_mllp_appears_as_fhir_resources()
    {
        var dir = Directory.CreateTempSubdirectory("meridian-hl7e2e-").FullName;
        try
        {
            await using var store = new SqliteFhirStore(Path.Combine(dir, "m.db"));
            await store.MigrateAsync();
            await using var appender = new AuditAppender(store);
            var api = new FhirApi(store);
            var options = new Hl7EngineOptions { MllpPort = 0 };
            await using var engine = Hl7Engine.Start(store, appender, options, new FhirMappingProcessor(api, MappingSetCatalog.BuiltInOnly), rescanInterval: TimeSpan.FromMilliseconds(100));
            await using (var client = await MllpClient.ConnectAsync("127.0.0.1", engine.MllpEndpoint!.Port))
            {
                var ack = Encoding.ASCII.GetString(await client.SendAsync(Corpus.Read("v2-to-fhir/messages/ORU_R01.hl7")));
                Assert.Contains("MSA|CA|", ack, StringComparison.Ordinal); // MSH-15 AL: enhanced mode, commit accept
                ack = Encoding.ASCII.GetString(await client.SendAsync(Encoding.ASCII.GetBytes("MSH|^~\\&|A|B|C|D|20240101000000||QRY^Q01|Q1|P|2.3\r")));
                Assert.Contains("|AA|", ack, StringComparison.Ordinal); // stored first, mapped after: the failure goes to the error store
            }
            var reader = Caller.System("reader", "system/*.rs");
            var observations = 0;
            for (var i = 0; i < 200 && observations < 3; i++)
            {
                await Task.Delay(50);
                var response = await api.HandleAsync(new FhirRequest("GET", "Observation") { Caller = reader });
                observations = JsonNode.Parse(response.Body.Span)!["entry"]?.AsArray().Count ?? 0;
            }
            Assert.Equal(3, observations);
            ImmutableDictionaryCounts counts = new(await engine.Inbox.CountsAsync());
            for (var i = 0; i < 200 && (counts.Failed < 1 || counts.Processed < 1); i++) // the completion mark commits after the resources
            {
                await Task.Delay(50);
                counts = new(await engine.Inbox.CountsAsync());
            }
            Assert.Equal(1, counts.Processed);
            Assert.Equal(1, counts.Failed);
            var error = Assert.Single(await engine.Inbox.ListErrorsAsync(new ErrorQuery()));
            Assert.Contains("no message map for QRY^Q01", error.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private readonly record struct ImmutableDictionaryCounts(System.Collections.Immutable.ImmutableDictionary<string, long> Counts)
    {
        public long Processed => Counts.GetValueOrDefault(InboxStatus.Processed);

        public long Failed => Counts.GetValueOrDefault(InboxStatus.Failed);
    }
}
