using System.Text;
using System.Text.Json;
using Meridian.Subscriptions.Tests.Support;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// <c>kill -9</c> of the server while notifications are in flight loses nothing: after a restart
/// on the same database every notification arrives, in order, with the same event numbers
/// (a receiver may see one again and de-duplicates by its number). Both stores.
/// </summary>
public abstract class CrashTests(Func<TestServerStore> newStore) : IAsyncLifetime
{
    private readonly TestServerStore _store = newStore();

    public Task InitializeAsync() => _store.SettingsAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static async Task<string> PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_killed_server_delivers_everything_after_restart()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Hang("crash");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var patients = new List<string>();
        string sub;
        using (var child = await ChildServer.StartAsync(_store.CliArguments))
        {
            sub = await PostAsync(http, child.Root + "/Subscription", Resources.R4Subscription("Patient?", receiver.Url("crash")));
            for (var i = 0; i < 10; i++)
            {
                patients.Add(await PostAsync(http, child.Root + "/Patient", Resources.Patient("Crash" + i)));
            }
            // The first notification is on the wire (the endpoint holds it) when the server dies.
            await SubscriptionFixture.EventuallyAsync(() => receiver.HangingNow >= 1, "a delivery in flight");
            child.KillHard();
        }
        receiver.Unhang("crash");
        using (var child = await ChildServer.StartAsync(_store.CliArguments))
        {
            // The restarted node first waits out the dead node's dispatch and delivery leases
            // (15 s each) and then the in-flight attempt's back-off; on a loaded CI machine the
            // child's start-up and catch-up add more, hence the longer bound here.
            var arrived = false;
            for (var i = 0; i < 3600 && !arrived; i++)
            {
                arrived = receiver.Got("crash").Select(r => r.EventNumber).Distinct().Count() >= 10;
                if (!arrived)
                {
                    await Task.Delay(50);
                }
            }
            if (!arrived)
            {
                // This has failed intermittently in full-suite runs only (never alone): say what the
                // restarted server and the receiver saw, so the next failure can be diagnosed.
                using var status = await http.GetAsync(child.Root + "/Subscription/" + sub + "/$status");
                var numbers = string.Join(",", receiver.Got("crash").Select(r => r.EventNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"));
                // Which patient is missing tells whether its change was never matched (first or last of
                // the ten) or lost mid-stream; the last failure had event numbers 1-9 assigned, not 10.
                var missing = string.Join(",", patients.Select((p, i) => (p, i)).Where(x => !receiver.Got("crash").Any(r => r.Path == "/hook/crash/Patient/" + x.p)).Select(x => x.i));
                // The feed's side: lease, positions, consumer failures and the subscriptions' drops on the
                // restarted node (a consumer stuck retrying a batch looks like a loss from here).
                var metrics = "";
                try
                {
                    var text = await http.GetStringAsync(new Uri(new Uri(child.Root), "/metrics"));
                    metrics = string.Join(" | ", text.Split('\n').Where(l => !l.StartsWith('#') && (l.Contains("meridian_events_", StringComparison.Ordinal)
                        || l.Contains("meridian_subscriptions_dropped", StringComparison.Ordinal) || l.Contains("meridian_subscriptions_matched", StringComparison.Ordinal))
                        && !l.Contains("_bucket", StringComparison.Ordinal)));
                }
                catch (HttpRequestException ex)
                {
                    metrics = "(metrics unavailable: " + ex.Message + ")";
                }
                Assert.Fail($"timed out waiting for all ten after the restart; receiver got [{numbers}]; patients (0-9) never notified: [{missing}]; $status {(int)status.StatusCode}: {await status.Content.ReadAsStringAsync()}; metrics: {metrics}");
            }
        }
        var got = receiver.Got("crash");
        var firsts = got.GroupBy(r => r.EventNumber!.Value).Select(g => g.First()).ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), firsts.Select(r => r.EventNumber!.Value));
        Assert.Equal(patients.Select(p => "/hook/crash/Patient/" + p), firsts.Select(r => r.Path));
        Assert.All(got, r => Assert.Equal(sub, r.Headers["X-Meridian-Subscription"]));
    }
}

public sealed class SqliteCrashTests() : CrashTests(() => TestServerStore.Sqlite("subs-crash-"));

[Collection("postgres")]
public sealed class PostgresCrashTests() : CrashTests(TestServerStore.Postgres);
