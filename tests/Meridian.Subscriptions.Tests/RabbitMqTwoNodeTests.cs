using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// Subscriptions on the RabbitMQ transport: two <c>meridian serve</c> child processes on one
/// PostgreSQL database and the real broker (MERIDIAN_TEST_RABBITMQ), rest-hook subscriptions to
/// a local receiver. Every matching write reaches every subscription once (a repeat only as a
/// retry with the same event number), in commit order per subscription, whichever node took the
/// write; a <c>kill -9</c> of the first node (dispatcher, active consumer and delivering node)
/// mid-stream loses nothing.
/// </summary>
[Collection("postgres")]
public sealed class RabbitMqTwoNodeTests : IAsyncLifetime
{
    private const string Banner = "Meridian FHIR R4 server: ";
    private static readonly string[] s_consumers = ["subscriptions", "clinical-alerts", "clinical-alert-channels"];
    private readonly PostgresTestServerStore _store = TestServerStore.Postgres();
    private readonly string _topology = "meridian-subs-" + Guid.NewGuid().ToString("N")[..12];
    private readonly Uri _broker = new(Environment.GetEnvironmentVariable("MERIDIAN_TEST_RABBITMQ")
        ?? throw new InvalidOperationException("MERIDIAN_TEST_RABBITMQ is not set: start a broker with scripts/rabbitmq-test-broker.sh (test.sh does)"));

    public Task InitializeAsync() => _store.SettingsAsync();

    public async Task DisposeAsync()
    {
        try
        {
            await using var connection = await new ConnectionFactory { Uri = _broker }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var consumer in s_consumers) await channel.QueueDeleteAsync($"{_topology}.{consumer}", false, false);
            await channel.ExchangeDeleteAsync(_topology, ifUnused: false);
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }

    private Task<MeridianChildProcess> StartNodeAsync() =>
        MeridianChildProcess.StartAsync(["--port", "0", "--insecure-dev", .. _store.CliArguments],
            new Dictionary<string, string>
            {
                ["MERIDIAN_ENCRYPTION__MODE"] = "off",
                ["MERIDIAN_EVENTS__POLLINTERVAL"] = "50ms",
                ["MERIDIAN_EVENTS__LEASEDURATION"] = "3s",
                ["MERIDIAN_EVENTS__TRANSPORT"] = "rabbitmq",
                ["MERIDIAN_EVENTS__RABBITMQ__URI"] = _broker.ToString(),
                ["MERIDIAN_EVENTS__RABBITMQ__EXCHANGE"] = _topology,
                ["MERIDIAN_EVENTS__RABBITMQ__QUEUEPREFIX"] = _topology,
                ["MERIDIAN_SUBSCRIPTIONS__INITIALBACKOFF"] = "50ms",
                ["MERIDIAN_SUBSCRIPTIONS__MAXBACKOFF"] = "300ms",
            },
            Banner);

    private static string Root(MeridianChildProcess node) => node.Banners[Banner].Split(' ')[0];

    private static async Task<string> PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        // Bounded: a takeover waits for the delivery lease of the killed node to expire (15 s).
        for (var i = 0; i < 1800; i++)
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("timed out waiting for: " + what);
    }

    [Fact]
    public async Task Two_nodes_deliver_every_match_once_per_subscription_in_order_and_survive_a_kill()
    {
        await using var receiver = await Receiver.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        string[] hooks = ["rmq-a", "rmq-b", "rmq-c"];
        var patients = new List<string>();
        var subscriptions = new Dictionary<string, string>();
        var nodeA = await StartNodeAsync();
        try
        {
            // Node A starts first: it takes the dispatch lease, the queues (single active
            // consumer) and the delivery lease, so killing it later exercises every takeover.
            foreach (var hook in hooks)
                subscriptions[hook] = await PostAsync(http, Root(nodeA) + "/Subscription", Resources.R4Subscription("Patient?", receiver.Url(hook)));
            // Not matched by the criteria: must never be delivered.
            await PostAsync(http, Root(nodeA) + "/Observation", Resources.Observation("1234-5"));
            for (var i = 0; i < 10; i++) patients.Add(await PostAsync(http, Root(nodeA) + "/Patient", Resources.Patient("RmqA" + i)));
            await WaitAsync(() => hooks.All(h => receiver.Got(h).Count >= 1), "first notifications through node A");

            using var nodeB = await StartNodeAsync();
            for (var i = 0; i < 10; i++)
            {
                var root = Root(i % 2 == 0 ? nodeA : nodeB);
                patients.Add(await PostAsync(http, root + "/Patient", Resources.Patient("RmqAB" + i)));
            }
            nodeA.KillHard();
            for (var i = 0; i < 10; i++) patients.Add(await PostAsync(http, Root(nodeB) + "/Patient", Resources.Patient("RmqB" + i)));

            await WaitAsync(() => hooks.All(h => receiver.Got(h).Select(r => r.EventNumber).Distinct().Count() >= patients.Count),
                "all 30 notifications on every subscription after the kill");
            // Late duplicates would show up here too.
            await Task.Delay(500);
        }
        finally
        {
            nodeA.Dispose();
        }
        foreach (var hook in hooks)
        {
            var got = receiver.Got(hook);
            Assert.All(got, r => Assert.Equal(subscriptions[hook], r.Headers["X-Meridian-Subscription"]));
            // A repeat is only ever a retry: same event number, same resource.
            foreach (var same in got.GroupBy(r => r.EventNumber!.Value))
                Assert.Single(same.Select(r => r.Path).Distinct());
            var firsts = got.GroupBy(r => r.EventNumber!.Value).Select(g => g.First()).ToList();
            Assert.Equal(Enumerable.Range(1, patients.Count).Select(i => (long)i), firsts.Select(r => r.EventNumber!.Value));
            Assert.Equal(patients.Select(p => $"/hook/{hook}/Patient/{p}"), firsts.Select(r => r.Path));
            // Delivered in order: a number never arrives before a smaller one first arrived.
            var seen = 0L;
            foreach (var number in got.Select(r => r.EventNumber!.Value))
            {
                Assert.True(number <= seen + 1, $"{hook}: event {number} arrived before {seen + 1}");
                seen = Math.Max(seen, number);
            }
        }
    }
}
