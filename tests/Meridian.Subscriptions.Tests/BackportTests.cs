using System.Text.Json;

namespace Meridian.Subscriptions.Tests;

/// <summary>R5 Backport topic subscriptions: handshake, notification Bundles, heartbeat, $status, $events (both stores).</summary>
public abstract class BackportTests
{
    private const string TopicUrl = "http://example.org/topics/encounter-start";

    protected abstract bool Postgres { get; }

    private static Dictionary<string, JsonElement> StatusOf(JsonElement bundle)
    {
        Assert.Equal("Bundle", bundle.GetProperty("resourceType").GetString());
        Assert.Equal("history", bundle.GetProperty("type").GetString());
        var status = bundle.GetProperty("entry")[0].GetProperty("resource");
        Assert.Equal("Parameters", status.GetProperty("resourceType").GetString());
        var result = new Dictionary<string, JsonElement>();
        foreach (var p in status.GetProperty("parameter").EnumerateArray())
        {
            result.TryAdd(p.GetProperty("name").GetString()!, p);
        }
        return result;
    }

    private static JsonElement Parse(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Handshake_then_numbered_event_notifications_then_status_and_events()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        await f.CreateAsync(Resources.Topic(TopicUrl, "Encounter", "create"));
        var sub = await f.CreateAsync(Resources.BackportSubscription(TopicUrl, receiver.Url("bp"), "full-resource"));

        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("bp").Count >= 1, "handshake");
        var handshake = StatusOf(Parse(receiver.Got("bp")[0].Body));
        Assert.Equal("handshake", handshake["type"].GetProperty("valueCode").GetString());
        Assert.Equal(TopicUrl, handshake["topic"].GetProperty("valueCanonical").GetString());
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active after handshake");

        var patient = await f.CreateAsync(Resources.Patient("Enc"));
        var first = await f.CreateAsync(Resources.Encounter(patient));
        var second = await f.CreateAsync(Resources.Encounter(patient));
        // Events pending together may share one notification Bundle: read the events across all of them.
        await SubscriptionFixture.EventuallyAsync(() => Events(receiver.Got("bp").Skip(1)).Count >= 2, "two events");
        var numbers = new List<string>();
        foreach (var ((number, focus, entry), id) in Events(receiver.Got("bp").Skip(1)).Zip([first, second]))
        {
            numbers.Add(number);
            Assert.EndsWith("/Encounter/" + id, focus, StringComparison.Ordinal);
            Assert.Equal(id, entry.GetProperty("resource").GetProperty("id").GetString());
            Assert.Equal("POST", entry.GetProperty("request").GetProperty("method").GetString());
        }
        Assert.Equal(["1", "2"], numbers);

        var statusResponse = await f.SendAsync("GET", $"Subscription/{sub}/$status");
        Assert.Equal(200, statusResponse.Status);
        var queried = StatusOf(Parse(statusResponse.Body.ToArray()));
        Assert.Equal("query-status", queried["type"].GetProperty("valueCode").GetString());
        Assert.Equal("active", queried["status"].GetProperty("valueCode").GetString());
        Assert.Equal("2", queried["events-since-subscription-start"].GetProperty("valueString").GetString());

        var events = await f.SendAsync("GET", $"Subscription/{sub}/$events", query: [("eventsSinceNumber", "2"), ("eventsUntilNumber", "2")]);
        Assert.Equal(200, events.Status);
        var bundle = Parse(events.Body.ToArray());
        var eventStatus = StatusOf(bundle);
        Assert.Equal("query-event", eventStatus["type"].GetProperty("valueCode").GetString());
        Assert.Equal(2, bundle.GetProperty("entry").GetArrayLength());
        Assert.Equal(second, bundle.GetProperty("entry")[1].GetProperty("resource").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Id_only_and_empty_payloads_and_filters()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        await f.CreateAsync(Resources.Topic(TopicUrl, "Encounter"));
        var p1 = await f.CreateAsync(Resources.Patient("F1"));
        var p2 = await f.CreateAsync(Resources.Patient("F2"));
        await f.CreateAsync(Resources.BackportSubscription(TopicUrl, receiver.Url("ids"), "id-only", filter: "Encounter?patient=Patient/" + p1));
        await f.CreateAsync(Resources.BackportSubscription(TopicUrl, receiver.Url("empty"), "empty"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("ids").Count >= 1 && receiver.Got("empty").Count >= 1, "handshakes");

        await f.CreateAsync(Resources.Encounter(p2));
        var mine = await f.CreateAsync(Resources.Encounter(p1));
        // Pending events may share a Bundle: count events, not requests.
        await SubscriptionFixture.EventuallyAsync(() => Events(receiver.Got("ids").Skip(1)).Count >= 1 && Events(receiver.Got("empty").Skip(1)).Count >= 2, "notifications");

        // id-only: the focus's fullUrl and request, no resource; the filter let only patient 1's through.
        Assert.Equal(2, receiver.Got("ids").Count);
        var idOnly = Parse(receiver.Got("ids")[1].Body);
        var entry = idOnly.GetProperty("entry")[1];
        Assert.EndsWith("/Encounter/" + mine, entry.GetProperty("fullUrl").GetString(), StringComparison.Ordinal);
        Assert.False(entry.TryGetProperty("resource", out _));
        // empty: only the status entry, no focus.
        foreach (var r in receiver.Got("empty").Skip(1))
        {
            var note = Parse(r.Body);
            Assert.Equal(1, note.GetProperty("entry").GetArrayLength());
            var parts = StatusOf(note)["notification-event"].GetProperty("part").EnumerateArray().Select(p => p.GetProperty("name").GetString());
            Assert.DoesNotContain("focus", parts);
        }
    }

    [Fact]
    public async Task A_failed_handshake_shows_error_and_is_retried_until_the_endpoint_answers()
    {
        var port = Receiver.FreePort();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        await f.CreateAsync(Resources.Topic(TopicUrl, "Encounter"));
        var sub = await f.CreateAsync(Resources.BackportSubscription(TopicUrl, $"http://127.0.0.1:{port}/hook/hs", "id-only"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).TryGetProperty("error", out var e)
            && e.GetString()!.StartsWith("handshake failed", StringComparison.Ordinal), "handshake error visible");
        var patient = await f.CreateAsync(Resources.Patient("Hs"));
        var encounter = await f.CreateAsync(Resources.Encounter(patient));

        await using var receiver = await Receiver.StartAsync(port);
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("hs").Count >= 2, "handshake, then the queued event");
        var types = receiver.Got("hs").Select(r => StatusOf(Parse(r.Body))["type"].GetProperty("valueCode").GetString()).ToList();
        Assert.Equal(["handshake", "event-notification"], types.Take(2));
        Assert.EndsWith("/Encounter/" + encounter, Parse(receiver.Got("hs")[1].Body).GetProperty("entry")[1].GetProperty("fullUrl").GetString(), StringComparison.Ordinal);
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
    }

    /// <summary>The events of event-notification Bundles in order: event number, focus reference and payload entry.</summary>
    private static List<(string Number, string Focus, JsonElement Entry)> Events(IEnumerable<Received> notifications)
    {
        var events = new List<(string, string, JsonElement)>();
        foreach (var note in notifications.Select(r => Parse(r.Body)))
        {
            var status = note.GetProperty("entry")[0].GetProperty("resource");
            if (StatusOf(note)["type"].GetProperty("valueCode").GetString() != "event-notification")
            {
                continue;
            }
            var index = 1;
            foreach (var p in status.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("name").GetString() == "notification-event"))
            {
                var parts = p.GetProperty("part").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!, x => x);
                // Payload "empty" has no focus and no entry per event.
                var focus = parts.TryGetValue("focus", out var fp) ? fp.GetProperty("valueReference").GetProperty("reference").GetString()! : "";
                events.Add((parts["event-number"].GetProperty("valueString").GetString()!, focus, focus.Length > 0 ? note.GetProperty("entry")[index++] : default));
            }
        }
        return events;
    }

    [Fact]
    public async Task Pending_events_go_out_together_in_one_bundle_with_consecutive_numbers()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres, SubscriptionFixture.FastOptions with { MaxEventsPerNotification = 2 });
        await f.CreateAsync(Resources.Topic(TopicUrl, "Encounter", "create"));
        var sub = await f.CreateAsync(Resources.BackportSubscription(TopicUrl, receiver.Url("batch"), "full-resource"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active after handshake");
        var patient = await f.CreateAsync(Resources.Patient("Batch"));

        // Three events pending at once (the feed was held): with at most 2 per notification, two Bundles (1-2, 3).
        f.Paused = true;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await f.CreateAsync(Resources.Encounter(patient)));
        }
        f.Paused = false;
        await SubscriptionFixture.EventuallyAsync(() => Events(receiver.Got("batch").Skip(1)).Count >= 3, "three events");
        var notes = receiver.Got("batch").Skip(1).ToList();
        Assert.Equal(2, notes.Count);
        Assert.Equal("1-2", notes[0].Headers["X-Meridian-Event-Number"]);
        Assert.Equal("3", notes[1].Headers["X-Meridian-Event-Number"]);
        var events = Events(notes);
        Assert.Equal(["1", "2", "3"], events.Select(e => e.Number));
        Assert.Equal(ids, events.Select(e => e.Entry.GetProperty("resource").GetProperty("id").GetString()!));
        Assert.Equal("3", StatusOf(Parse(notes[1].Body))["events-since-subscription-start"].GetProperty("valueString").GetString());
    }

    [Fact]
    public async Task Heartbeats_arrive_when_nothing_happens()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        await f.CreateAsync(Resources.Topic(TopicUrl, "Encounter"));
        await f.CreateAsync(Resources.BackportSubscription(TopicUrl, receiver.Url("hb"), "empty", heartbeatSeconds: 1));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("hb").Count >= 2, "handshake and a heartbeat");
        var types = receiver.Got("hb").Select(r => StatusOf(Parse(r.Body))["type"].GetProperty("valueCode").GetString()).ToList();
        Assert.Equal("handshake", types[0]);
        Assert.Equal("heartbeat", types[1]);
    }
}

public sealed class SqliteBackportTests : BackportTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresBackportTests : BackportTests
{
    protected override bool Postgres => true;
}
