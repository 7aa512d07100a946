using System.Text.Json;
using Meridian.Subscriptions.Clinical;

namespace Meridian.Subscriptions.Tests;

/// <summary>Clinical notifications: a final DiagnosticReport with a critical result becomes an alert
/// Communication to the care team, pushed by webhook (a Subscription) and the SMS test double (both stores).</summary>
public abstract class ClinicalAlertTests
{
    protected abstract bool Postgres { get; }

    private static string Observation(string text, string interpretation) =>
        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + text + "\"},"
        + "\"interpretation\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":\"" + interpretation + "\"}]}]}";

    private static string Report(string patient, string observation) =>
        "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"text\":\"Chemistry\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
        + "\"result\":[{\"reference\":\"Observation/" + observation + "\"}]}";

    [Fact]
    public async Task A_critical_result_alerts_the_care_team_by_webhook_and_sms_double()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var file = Path.Combine(Path.GetTempPath(), "meridian-alerts-" + Guid.NewGuid().ToString("N") + ".log");
        using var sms = new FileAlertChannel("sms", file);
        using var dispatch = new AlertDispatchConsumer(f.Store, [sms]);
        f.ExtraConsumers.Add(new CriticalResultConsumer(f.Store, f.Api.HandleAsync));
        f.ExtraConsumers.Add(dispatch);
        try
        {
            var sub = await f.CreateAsync(Resources.R4Subscription("Communication?category=alert", receiver.Url("alerts")));
            await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
            var patient = await f.CreateAsync(Resources.Patient("Critical"));
            var team = await f.CreateAsync("{\"resourceType\":\"CareTeam\",\"status\":\"active\",\"subject\":{\"reference\":\"Patient/" + patient + "\"}}");

            var normal = await f.CreateAsync(Observation("Sodium", "N"));
            await f.CreateAsync(Report(patient, normal));
            var potassium = await f.CreateAsync(Observation("Potassium", "HH"));
            var critical = await f.CreateAsync(Report(patient, potassium));

            for (var i = 0; i < 1200 && receiver.Got("alerts").Count == 0; i++)
            {
                await Task.Delay(50);
            }
            Assert.True(receiver.Got("alerts").Count >= 1, "no alert Communication by webhook; last consumer error: " + f.LastPumpError);
            var alert = receiver.Got("alerts")[0];
            using var doc = JsonDocument.Parse(alert.Body);
            var c = doc.RootElement;
            Assert.Equal("Communication", c.GetProperty("resourceType").GetString());
            Assert.Equal("DiagnosticReport/" + critical, c.GetProperty("about")[0].GetProperty("reference").GetString());
            Assert.Equal("CareTeam/" + team, c.GetProperty("recipient")[0].GetProperty("reference").GetString());
            Assert.Equal("Patient/" + patient, c.GetProperty("subject").GetProperty("reference").GetString());
            Assert.Contains("Potassium: HH", c.GetProperty("payload")[0].GetProperty("contentString").GetString(), StringComparison.Ordinal);

            await SubscriptionFixture.EventuallyAsync(() => File.Exists(file) && File.ReadAllLines(file).Length >= 1, "the SMS test double");
            var line = Assert.Single(File.ReadAllLines(file));
            Assert.StartsWith("[TEST DOUBLE sms]", line, StringComparison.Ordinal);
            Assert.Contains("communication=" + c.GetProperty("id").GetString(), line, StringComparison.Ordinal);
            // The normal report before it raised nothing.
            var all = await f.ReadAsync("Communication");
            Assert.Equal(1, all.GetProperty("entry").GetArrayLength());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The report's results are read in one search: the alert still names every critical
    /// result in the report's order (a repeated reference twice), and skips normal, deleted and
    /// missing Observations.</summary>
    [Fact]
    public async Task An_alert_lists_the_critical_results_of_many_in_report_order()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        f.ExtraConsumers.Add(new CriticalResultConsumer(f.Store, f.Api.HandleAsync));
        var patient = await f.CreateAsync(Resources.Patient("Several"));
        var sodium = await f.CreateAsync(Observation("Sodium", "N"));
        var potassium = await f.CreateAsync(Observation("Potassium", "HH"));
        var glucose = await f.CreateAsync(Observation("Glucose", "LL"));
        var calcium = await f.CreateAsync(Observation("Calcium", "LL"));
        var troponin = await f.CreateAsync(Observation("Troponin", "AA"));
        Assert.True((await f.SendAsync("DELETE", "Observation/" + glucose)).IsSuccess);
        var results = new[] { "Observation/" + calcium, "Observation/" + sodium, "Observation/" + glucose,
            "Observation/missing-one", "Observation/" + potassium, "Observation/" + troponin, "Observation/" + calcium };
        var report = "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"text\":\"Panel\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
            + "\"result\":[" + string.Join(",", results.Select(r => "{\"reference\":\"" + r + "\"}")) + "]}";
        await f.CreateAsync(report);

        string? text = null;
        await SubscriptionFixture.EventuallyAsync(async () =>
        {
            var all = await f.ReadAsync("Communication");
            if (!all.TryGetProperty("entry", out var entries) || entries.GetArrayLength() == 0)
            {
                return false;
            }
            text = entries[0].GetProperty("resource").GetProperty("payload")[0].GetProperty("contentString").GetString();
            return true;
        }, "the alert Communication; last consumer error: " + f.LastPumpError);
        Assert.Equal("Critical result: Calcium: LL; Potassium: HH; Troponin: AA; Calcium: LL", text);
    }
}

public sealed class SqliteClinicalAlertTests : ClinicalAlertTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresClinicalAlertTests : ClinicalAlertTests
{
    protected override bool Postgres => true;
}
