using System.Net;
using System.Text.Json;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Matrix;

/// <summary>
/// The authorization matrix over real HTTP on 127.0.0.1 with real tokens from the built-in
/// authorization server (<see cref="MatrixWorld"/>), on both stores: principals (no token, a
/// forged token, backend services, a client secret, users with roles, a patient, another
/// tenant's client) × interactions × compartments × tenants. Each cell states its status; every
/// cell also checks that nothing leaked: refusals carry no resource, searches return only what
/// the principal may see, tenant B's data never appears under tenant A, and refused writes
/// changed nothing (checked afterwards with an all-powerful token). The in-process matrix
/// (Meridian.Api.Tests, Authorization/) covers the full role × type grid; this one proves the
/// same decisions hold end to end, through token issuance, validation and the HTTP host.
/// </summary>
public abstract class HttpAuthorizationMatrixTests(MatrixServerFixture fx)
{
    public static readonly string[] Actions =
    [
        "read-patient", "read-other-patient", "read-other-observation", "search-observations", "patient-history",
        "read-tenant-b-id", "create-observation", "update-patient", "delete-observation", "search-audit", "other-tenant-url",
    ];

    /// <summary>Expected status per principal, in the order of <see cref="Actions"/>. Written from
    /// docs/authorization.md and docs/authentication.md, not from the code.</summary>
    public static readonly Dictionary<string, int[]> Expected = new()
    {
        ["anonymous"] = [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401],
        ["forged"] = [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401],
        // system/*.rs, role integration: reads everything but AuditEvent, writes nothing.
        ["backend-rs"] = [200, 200, 200, 200, 200, 404, 403, 403, 403, 403, 401],
        // system/*.cruds, role integration (crus): no deletes.
        ["backend-crus"] = [200, 200, 200, 200, 200, 404, 201, 200, 403, 403, 401],
        // A valid token of tenant B on tenant A: refused everywhere; on its own tenant it reads.
        ["tenant-b-backend"] = [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200],
        ["clinician"] = [200, 200, 200, 200, 200, 404, 201, 200, 204, 403, 401],
        // Patient crus, no Observation, no delete.
        ["front-desk"] = [200, 200, 403, 403, 200, 404, 403, 200, 403, 403, 401],
        // AuditEvent only.
        ["auditor"] = [403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 401],
        // patient/*.cruds in the context of pa1: its own compartment only.
        ["patient"] = [200, 403, 403, 200, 200, 404, 201, 403, 204, 403, 401],
    };

    public static IEnumerable<object[]> Principals() => Expected.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Principals))]
    public async Task Every_cell_answers_as_documented_and_leaks_nothing(string principal)
    {
        var world = await fx.WorldAsync();
        var failures = new List<string>();
        for (var a = 0; a < Actions.Length; a++)
        {
            var expected = Expected[principal][a];
            var (status, body, check) = await RunAsync(world, principal, Actions[a]);
            var label = $"{principal} {Actions[a]}";
            if (status != expected)
            {
                failures.Add($"{label}: expected {expected}, got {status} {body[..Math.Min(body.Length, 300)]}");
                continue;
            }
            failures.AddRange((await check(status, body)).Select(f => $"{label}: {f}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_table_has_a_row_per_principal_and_a_column_per_action()
    {
        Assert.All(Expected.Values, row => Assert.Equal(Actions.Length, row.Length));
        Assert.Equal(Expected.Count * Actions.Length, Expected.Values.Sum(r => r.Length));
        Assert.Contains(Expected.Values.SelectMany(r => r), s => s == 404);
    }

    private delegate Task<List<string>> Check(int status, string body);

    private static async Task<(int Status, string Body, Check Check)> RunAsync(MatrixWorld w, string principal, string action)
    {
        var token = w.Tokens[principal];
        var a = w.TenantA;
        // Tenant B's data and tenant A's second patient must never show up where not asked for.
        List<string> NoLeak(string body, params string[] allowed)
        {
            var problems = new List<string>();
            foreach (var (id, what) in new[] { (w.Pb1, "tenant B's patient"), (w.Ob1, "tenant B's observation") })
            {
                if (!allowed.Contains(id) && body.Contains(id, StringComparison.Ordinal))
                {
                    problems.Add($"the answer contains {what}");
                }
            }
            if (body.Contains("MatrixB1", StringComparison.Ordinal))
            {
                problems.Add("the answer contains tenant B's patient name");
            }
            return problems;
        }
        List<string> Refusal(int status, string body, string target)
        {
            var problems = NoLeak(body, target);
            if (status >= 400 && (body.Contains("\"family\"", StringComparison.Ordinal) || body.Contains("\"subject\"", StringComparison.Ordinal)))
            {
                problems.Add("a refusal carries resource content");
            }
            if (status == 200 && !body.Contains(target, StringComparison.Ordinal))
            {
                problems.Add("allowed but the resource is missing");
            }
            return problems;
        }
        switch (action)
        {
            case "read-patient":
                return await ReadAsync(w, token, a, "Patient/" + w.Pa1, (s, b) => Task.FromResult(Refusal(s, b, w.Pa1)));
            case "read-other-patient":
                return await ReadAsync(w, token, a, "Patient/" + w.Pa2, (s, b) => Task.FromResult(Refusal(s, b, w.Pa2)));
            case "read-other-observation":
                return await ReadAsync(w, token, a, "Observation/" + w.Oa2, (s, b) => Task.FromResult(Refusal(s, b, w.Oa2)));
            case "patient-history":
                return await ReadAsync(w, token, a, $"Patient/{w.Pa1}/_history", (s, b) => Task.FromResult(Refusal(s, b, w.Pa1)));
            case "read-tenant-b-id":
                return await ReadAsync(w, token, a, "Patient/" + w.Pb1, (s, b) => Task.FromResult(Refusal(s, b, w.Pb1)));
            case "other-tenant-url":
                return await ReadAsync(w, token, w.TenantB, "Patient/" + w.Pb1, (s, b) =>
                    Task.FromResult(s == 200 ? [] : Refusal(s, b, w.Pb1)));
            case "search-observations":
                return await ReadAsync(w, token, a, "Observation?_count=500", (s, b) => Task.FromResult(s == 200 ? SearchLeaks(w, principal, b) : Refusal(s, b, "")));
            case "search-audit":
                return await ReadAsync(w, token, a, "AuditEvent?_count=5", (s, b) =>
                    Task.FromResult(s == 200 ? (Entries(b).Count > 0 ? NoLeak(b) : ["allowed but no AuditEvent returned"]) : Refusal(s, b, "")));
            case "create-observation":
            {
                var marker = "c" + Guid.NewGuid().ToString("N")[..10];
                using var response = await w.SendAsync(a, token, HttpMethod.Post, "Observation", MatrixWorld.Observation(w.Pa1, marker));
                var body = await response.Content.ReadAsStringAsync();
                return ((int)response.StatusCode, body, async (s, b) =>
                {
                    var problems = s == 201 ? NoLeak(b) : Refusal(s, b, "");
                    var stored = Entries(await AdminGetAsync(w, $"Observation?code=urn:matrix|{marker}")).Count;
                    if (stored != (s == 201 ? 1 : 0))
                    {
                        problems.Add($"{stored} observations stored after a {s}");
                    }
                    return problems;
                });
            }
            case "update-patient":
            {
                var id = await w.CreateAsync(a, w.AdminToken, MatrixWorld.Patient("MatrixFresh"));
                var json = $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"MatrixChanged"}]}""";
                using var response = await w.SendAsync(a, token, HttpMethod.Put, "Patient/" + id, json);
                var body = await response.Content.ReadAsStringAsync();
                return ((int)response.StatusCode, body, async (s, b) =>
                {
                    var problems = s == 200 ? NoLeak(b) : Refusal(s, b, id);
                    var now = await AdminGetAsync(w, "Patient/" + id);
                    var changed = now.Contains("MatrixChanged", StringComparison.Ordinal);
                    if (changed != (s == 200))
                    {
                        problems.Add($"stored patient changed={changed} after a {s}");
                    }
                    return problems;
                });
            }
            case "delete-observation":
            {
                var id = await w.CreateAsync(a, w.AdminToken, MatrixWorld.Observation(w.Pa1, "to-delete"));
                using var response = await w.SendAsync(a, token, HttpMethod.Delete, "Observation/" + id);
                var body = await response.Content.ReadAsStringAsync();
                return ((int)response.StatusCode, body, async (s, b) =>
                {
                    var problems = s == 204 ? NoLeak(b) : Refusal(s, b, id);
                    using var after = await w.SendAsync(a, w.AdminToken, HttpMethod.Get, "Observation/" + id);
                    var gone = after.StatusCode == HttpStatusCode.Gone;
                    if (gone != (s == 204))
                    {
                        problems.Add($"observation gone={gone} after a {s}");
                    }
                    return problems;
                });
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
    }

    private static async Task<(int, string, Check)> ReadAsync(MatrixWorld w, string? token, string tenant, string path, Check check)
    {
        using var response = await w.SendAsync(tenant, token, HttpMethod.Get, path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), check);
    }

    /// <summary>What a search returned against what the principal may see.</summary>
    private static List<string> SearchLeaks(MatrixWorld w, string principal, string body)
    {
        var problems = new List<string>();
        var entries = Entries(body);
        var ids = entries.Select(e => e.GetProperty("id").GetString()).ToHashSet();
        if (ids.Contains(w.Ob1))
        {
            problems.Add("tenant B's observation is in tenant A's search");
        }
        if (!ids.Contains(w.Oa1))
        {
            problems.Add("the visible observation is missing");
        }
        if (principal == "patient")
        {
            if (ids.Contains(w.Oa2))
            {
                problems.Add("another patient's observation is in the patient's search");
            }
            if (entries.Any(e => e.GetProperty("subject").GetProperty("reference").GetString() != "Patient/" + w.Pa1))
            {
                problems.Add("the patient's search holds an observation outside its compartment");
            }
        }
        else if (!ids.Contains(w.Oa2))
        {
            problems.Add("an observation the principal may see is missing");
        }
        return problems;
    }

    private static List<JsonElement> Entries(string bundle)
    {
        using var doc = JsonDocument.Parse(bundle);
        return doc.RootElement.TryGetProperty("entry", out var entries)
            ? [.. entries.EnumerateArray().Select(e => e.GetProperty("resource").Clone())]
            : [];
    }

    private static async Task<string> AdminGetAsync(MatrixWorld w, string path)
    {
        using var response = await w.SendAsync(w.TenantA, w.AdminToken, HttpMethod.Get, path);
        return await response.Content.ReadAsStringAsync();
    }
}

/// <summary>The auth-on server of <see cref="AuthServerFixture"/> plus the matrix's world, made once.</summary>
public abstract class MatrixServerFixture(TestServerStore store) : AuthServerFixture(store)
{
    private readonly Lock _gate = new();
    private Task<MatrixWorld>? _world;

    public Task<MatrixWorld> WorldAsync()
    {
        lock (_gate)
        {
            return _world ??= MatrixWorld.CreateAsync(this);
        }
    }
}

public sealed class SqliteMatrixServerFixture() : MatrixServerFixture(TestServerStore.Sqlite("meridian-matrix-"));

public sealed class PostgresMatrixServerFixture() : MatrixServerFixture(TestServerStore.Postgres());

public sealed class SqliteHttpAuthorizationMatrixTests(SqliteMatrixServerFixture fx) : HttpAuthorizationMatrixTests(fx), IClassFixture<SqliteMatrixServerFixture>;

public sealed class PostgresHttpAuthorizationMatrixTests(PostgresMatrixServerFixture fx) : HttpAuthorizationMatrixTests(fx), IClassFixture<PostgresMatrixServerFixture>;
