using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// Subscriptions written by batch and transaction Bundles get their owner (the Bundle's caller) in
/// the write's own transaction, like a plain POST: they are served, bounded by that caller's scopes
/// and tenant, and a crash right after the commit still leaves the owner on record. Covers plain
/// POST entries, conditional creates (If-None-Exist), conditional updates and PUT-as-create.
/// Deliveries go over HTTP to a receiver on 127.0.0.1. Both stores.
/// </summary>
public abstract class BundleOwnerTests
{
    protected abstract bool Postgres { get; }

    private static string Entry(string method, string url, string? resource, string? fullUrl = null, string? ifNoneExist = null) =>
        "{" + (fullUrl is null ? "" : "\"fullUrl\":\"" + fullUrl + "\",") + (resource is null ? "" : "\"resource\":" + resource + ",")
        + "\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\"" + (ifNoneExist is null ? "" : ",\"ifNoneExist\":\"" + ifNoneExist + "\"") + "}}";

    private static string Bundle(string type, params string[] entries) =>
        "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":[" + string.Join(",", entries) + "]}";

    private static string WithId(string json, string id) =>
        json.Replace("{\"resourceType\":\"Subscription\",", "{\"resourceType\":\"Subscription\",\"id\":\"" + id + "\",", StringComparison.Ordinal);

    private static FhirRequest Post(string json, Caller caller, string tenant = FhirApi.DefaultTenant) => new("POST", "")
    {
        Tenant = tenant,
        Caller = caller,
        Body = Encoding.UTF8.GetBytes(json),
        Headers = new FhirRequestHeaders { ContentType = "application/fhir+json" },
    };

    /// <summary>The ids of the Subscriptions a batch/transaction response reports, in entry order.</summary>
    private static List<string> SubscriptionIds(FhirResponse response)
    {
        Assert.True(response.IsSuccess, $"{response.Status} {Encoding.UTF8.GetString(response.Body.Span)}");
        using var doc = JsonDocument.Parse(response.Body);
        var ids = new List<string>();
        foreach (var e in doc.RootElement.GetProperty("entry").EnumerateArray())
        {
            var r = e.GetProperty("response");
            Assert.StartsWith("2", r.GetProperty("status").GetString(), StringComparison.Ordinal);
            var location = r.GetProperty("location").GetString()!;
            var parts = location.Split('/');
            var i = Array.IndexOf(parts, "Subscription");
            if (i >= 0)
            {
                ids.Add(parts[i + 1]);
            }
        }
        return ids;
    }

    private static async Task<Caller> OwnerAsync(SubscriptionFixture f, string id, string tenant = FhirApi.DefaultTenant)
    {
        var state = await f.Module.Queue.GetStateAsync(tenant, id, CancellationToken.None);
        Assert.NotNull(state);
        Assert.NotNull(state.Owner);
        return OwnerCodec.Decode(state.Owner);
    }

    private static async Task ActiveAsync(SubscriptionFixture f, string id, string tenant = FhirApi.DefaultTenant)
    {
        for (var i = 0; i < 1200; i++)
        {
            if ((await f.ReadAsync("Subscription/" + id, tenant)).GetProperty("status").GetString() == "active")
            {
                return;
            }
            await Task.Delay(50);
        }
        var state = await f.Module.Queue.GetStateAsync(tenant, id, CancellationToken.None);
        Assert.Fail($"Subscription/{id} never turned active: resource {(await f.ReadAsync("Subscription/" + id, tenant)).GetRawText()}; "
            + $"queue status {state?.Status} error {state?.LastError}; served {f.Module.Registry.Find(tenant, id)?.Definition.Status ?? "no"}; pump error {f.LastPumpError}");
    }

    [Fact]
    public async Task A_transaction_Bundle_records_its_caller_as_owner_and_delivery_is_bounded_by_that_callers_patient_scope()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var p1 = await f.CreateAsync(Resources.Patient("One"));
        var p2 = await f.CreateAsync(Resources.Patient("Two"));
        var app = new Caller { ClientId = "patient-app", UserId = "u-1", Scopes = ["patient/Observation.rs", "patient/Subscription.cruds"], PatientContext = p1 };

        var bundle = Bundle("transaction",
            Entry("POST", "Subscription", Resources.R4Subscription("Observation?", receiver.Url("tx")), fullUrl: "urn:uuid:0b3d6f7e-1111-4c1e-9a55-000000000001"),
            Entry("POST", "Subscription", Resources.R4Subscription("Observation?code=9", receiver.Url("tx-cond")), ifNoneExist: "url=http://nowhere.invalid/hook"));
        var ids = SubscriptionIds(await FhirInterceptors.RunAsync([f.Module.Interceptor], Post(bundle, app), f.Api.HandleAsync, CancellationToken.None));
        Assert.Equal(2, ids.Count);
        foreach (var id in ids)
        {
            var owner = await OwnerAsync(f, id);
            Assert.Equal("patient-app", owner.ClientId);
            Assert.Equal("u-1", owner.UserId);
            Assert.Equal(p1, owner.PatientContext);
            await ActiveAsync(f, id);
        }

        var theirs = await f.CreateAsync(Resources.Observation("1", p2));
        var mine = await f.CreateAsync(Resources.Observation("1", p1));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("tx").Count >= 1, "the patient's own observation");
        Assert.Equal(["/hook/tx/Observation/" + mine], receiver.Got("tx").Select(r => r.Path));
        Assert.NotEqual(theirs, mine);
    }

    [Fact]
    public async Task A_batch_Bundle_records_its_caller_per_entry_including_put_as_create_and_conditional_update_within_its_tenant()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        const string tenant = "ward-7";
        var app = new Caller { ClientId = "ward-app", Scopes = ["user/Subscription.cruds", "user/Patient.rs"], TokenTenant = tenant };

        var bundle = Bundle("batch",
            Entry("POST", "Subscription", Resources.R4Subscription("Patient?", receiver.Url("b-post"))),
            Entry("PUT", "Subscription/batch-put", WithId(Resources.R4Subscription("Patient?", receiver.Url("b-put")), "batch-put")),
            Entry("PUT", "Subscription?url=http://nowhere.invalid/hook", Resources.R4Subscription("Patient?", receiver.Url("b-cond"))),
            // One entry failing does not affect the others (and records no owner: no Subscription written).
            Entry("PUT", "Subscription/bad", "{\"resourceType\":\"Subscription\",\"id\":\"other\"}"));
        var response = await FhirInterceptors.RunAsync([f.Module.Interceptor], Post(bundle, app, tenant), f.Api.HandleAsync, CancellationToken.None);
        Assert.Equal(200, response.Status);
        using (var doc = JsonDocument.Parse(response.Body))
        {
            var statuses = doc.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()!).ToList();
            Assert.True(statuses.Take(3).All(s => s.StartsWith("201", StringComparison.Ordinal)), Encoding.UTF8.GetString(response.Body.Span));
            Assert.StartsWith("4", statuses[3], StringComparison.Ordinal);
        }
        Assert.Null(await f.Module.Queue.GetStateAsync(tenant, "bad", CancellationToken.None));
        var ids = new List<string>();
        using (var doc = JsonDocument.Parse(response.Body))
        {
            foreach (var e in doc.RootElement.GetProperty("entry").EnumerateArray().Take(3))
            {
                var parts = e.GetProperty("response").GetProperty("location").GetString()!.Split('/');
                ids.Add(parts[Array.IndexOf(parts, "Subscription") + 1]);
            }
        }
        Assert.Contains("batch-put", ids);
        foreach (var id in ids)
        {
            var owner = await OwnerAsync(f, id, tenant);
            Assert.Equal("ward-app", owner.ClientId);
            Assert.Equal(tenant, owner.TokenTenant);
            await ActiveAsync(f, id, tenant);
        }

        // Within its tenant: a Patient of another tenant is not delivered, one of its own is, to each.
        await f.CreateAsync(Resources.Patient("Elsewhere"));
        var own = await f.CreateAsync(Resources.Patient("Here"), tenant: tenant);
        foreach (var name in new[] { "b-post", "b-put", "b-cond" })
        {
            await SubscriptionFixture.EventuallyAsync(() => receiver.Got(name).Count >= 1, name + " notified");
            Assert.Equal(["/hook/" + name + "/Patient/" + own], receiver.Got(name).Select(r => r.Path));
        }
    }

    [Fact]
    public async Task A_Bundle_that_spells_Subscription_with_json_escapes_still_records_its_owner()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var caller = Caller.InsecureDev with { ClientId = "escaping-app" };
        // No literal "Subscription" anywhere in the body: type, request url and all are escaped.
        var bundle = Bundle("transaction",
            Entry("POST", "Subscription", Resources.R4Subscription("Observation?", "http://127.0.0.1:9/hook"))).Replace("Subscription", "\\u0053ubscription", StringComparison.Ordinal);
        Assert.DoesNotContain("Subscription", bundle, StringComparison.Ordinal);

        var ids = SubscriptionIds(await FhirInterceptors.RunAsync([f.Module.Interceptor], Post(bundle, caller), f.Api.HandleAsync, CancellationToken.None));

        var id = Assert.Single(ids);
        Assert.Equal("escaping-app", (await OwnerAsync(f, id)).ClientId);
        await ActiveAsync(f, id);
    }

    [Theory]
    [InlineData("transaction")]
    [InlineData("batch")]
    public async Task A_crash_right_after_a_Bundle_commits_leaves_the_owner_on_record_and_the_subscription_is_served(string type)
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var caller = Caller.InsecureDev with { ClientId = "bundle-app", UserId = "dr-who" };
        var bundle = Bundle(type,
            Entry("POST", "Patient", Resources.Patient("Alongside")),
            // Criteria the Patient alongside cannot match: a notification to the dead endpoint would turn them to error.
            Entry("POST", "Subscription", Resources.R4Subscription("Observation?", "http://127.0.0.1:9/hook")),
            Entry("PUT", "Subscription/crash-" + type, WithId(Resources.R4Subscription("Observation?", "http://127.0.0.1:9/hook"), "crash-" + type)));
        FhirResponse? committed = null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => FhirInterceptors.RunAsync([f.Module.Interceptor], Post(bundle, caller), async (r, ct) =>
        {
            committed = await f.Api.HandleAsync(r, ct);
            throw new InvalidOperationException("killed between the Bundle's commit and anything after it");
        }, CancellationToken.None));
        Assert.NotNull(committed);
        var ids = SubscriptionIds(committed);
        Assert.Equal(2, ids.Count);
        foreach (var id in ids)
        {
            var owner = await OwnerAsync(f, id);
            Assert.Equal("bundle-app", owner.ClientId);
            Assert.Equal("dr-who", owner.UserId);
            await ActiveAsync(f, id);
        }
    }
}

public sealed class SqliteBundleOwnerTests : BundleOwnerTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresBundleOwnerTests : BundleOwnerTests
{
    protected override bool Postgres => true;
}
