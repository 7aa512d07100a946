using System.Text.Json.Nodes;
using static Meridian.Api.Tests.Authorization.AuthorizationMatrix;

namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// The generated authorization matrix: for every caller × interaction (one row each) the test
/// runs every resource type in the caller's own tenant and from a token of another tenant, and
/// compares the status with <see cref="AuthorizationMatrix.Expected"/>. Refusals must carry no
/// data of the target; allowed reads and searches must actually return it.
/// </summary>
public abstract class AuthorizationMatrixTests(AuthzStoreFixture fx)
{
    private static readonly bool[] s_bothTenants = [true, false];

    private static readonly Dictionary<string, string> s_templates = new()
    {
        ["Patient"] = """{"resourceType":"Patient","gender":"female"}""",
        ["Observation"] = """{"resourceType":"Observation","status":"final","code":{"text":"matrix"}}""",
        ["Appointment"] = """{"resourceType":"Appointment","status":"proposed","participant":[{"status":"accepted","actor":{"display":"Dr X"}}]}""",
        ["Practitioner"] = """{"resourceType":"Practitioner","active":true}""",
        ["Device"] = """{"resourceType":"Device","status":"active"}""",
        ["AuditEvent"] = """{"resourceType":"AuditEvent","type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"},"recorded":"2024-01-01T00:00:00Z","agent":[{"requestor":true,"who":{"display":"x"}}],"source":{"observer":{"display":"y"}}}""",
    };

    [Theory]
    [MemberData(nameof(AuthorizationMatrix.Rows), MemberType = typeof(AuthorizationMatrix))]
    public async Task Matrix(string callerName, string interactionName)
    {
        var matrixCaller = Callers.Single(c => c.Name == callerName);
        var interaction = AuthorizationMatrix.Interactions.Single(i => i.Name == interactionName);
        var tenant = "m" + Guid.NewGuid().ToString("N")[..12];
        var failures = new List<string>();
        var cases = 0;
        foreach (var type in Types.Where(t => !interaction.PatientOnly || t == "Patient"))
        {
            foreach (var sameTenant in s_bothTenants)
            {
                cases++;
                var id = Guid.NewGuid().ToString();
                await fx.SeedAsync(tenant, WithId(type, id), id);
                var caller = new Caller
                {
                    ClientId = "matrix-" + callerName,
                    UserId = "u-" + callerName,
                    Scopes = [.. matrixCaller.Scopes],
                    Roles = [.. matrixCaller.Roles],
                    TokenTenant = sameTenant ? tenant : "another-tenant",
                };
                var expected = Expected(matrixCaller, interaction, type, sameTenant);
                var response = await RunAsync(caller, tenant, interaction.Name, type, id);
                var body = AuthzStoreFixture.Text(response);
                var label = $"{callerName} {interaction.Name} {type} {(sameTenant ? "own tenant" : "other tenant")}";
                if (response.Status != expected)
                {
                    failures.Add($"{label}: expected {expected}, got {response.Status} {body[..Math.Min(body.Length, 300)]}");
                    continue;
                }
                if (expected >= 400)
                {
                    if (body.Contains(id, StringComparison.Ordinal))
                    {
                        failures.Add($"{label}: the refusal leaks the resource id");
                    }
                    if (response.Authorization?.Outcome != Meridian.Api.Authorization.AuthorizationOutcome.Denied)
                    {
                        failures.Add($"{label}: decision {response.Authorization?.Outcome}, expected Denied");
                    }
                }
                else
                {
                    if (interaction.Name is "read" or "vread" or "search" or "everything" or "instance-history" or "type-history" && !body.Contains(id, StringComparison.Ordinal))
                    {
                        failures.Add($"{label}: allowed but the resource is missing from the answer");
                    }
                    if (response.Authorization?.Outcome != Meridian.Api.Authorization.AuthorizationOutcome.Permitted)
                    {
                        failures.Add($"{label}: decision {response.Authorization?.Outcome}, expected Permitted");
                    }
                }
            }
        }
        Assert.True(cases >= 2);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_matrix_has_hundreds_of_cases_with_both_outcomes()
    {
        var all = (from c in Callers from i in AuthorizationMatrix.Interactions from t in Types.Where(t => !i.PatientOnly || t == "Patient")
                   from same in s_bothTenants select Expected(c, i, t, same)).ToList();
        Assert.True(all.Count > 1000, $"{all.Count} cases");
        Assert.Contains(all, s => s is 200 or 201 or 204);
        Assert.Contains(all, s => s == 403);
        Assert.Contains(all, s => s == 405);
    }

    private static string WithId(string type, string id)
    {
        var node = JsonNode.Parse(s_templates[type])!;
        node["id"] = id;
        return node.ToJsonString();
    }

    private Task<FhirResponse> RunAsync(Caller caller, string tenant, string interaction, string type, string id)
    {
        var json = new FhirRequestHeaders { ContentType = "application/fhir+json" };
        return interaction switch
        {
            "read" => fx.SendAsync(caller, tenant, "GET", $"{type}/{id}"),
            "vread" => fx.SendAsync(caller, tenant, "GET", $"{type}/{id}/_history/1"),
            "search" => fx.SendAsync(caller, tenant, "GET", type, query: [new("_id", id)]),
            "type-history" => fx.SendAsync(caller, tenant, "GET", $"{type}/_history", query: [new("_count", "1000")]),
            "instance-history" => fx.SendAsync(caller, tenant, "GET", $"{type}/{id}/_history"),
            "create" => fx.SendAsync(caller, tenant, "POST", type, s_templates[type]),
            "update" => fx.SendAsync(caller, tenant, "PUT", $"{type}/{id}", WithId(type, id)),
            "patch" => fx.SendAsync(caller, tenant, "PATCH", $"{type}/{id}", """[{"op":"add","path":"/language","value":"en"}]""",
                headers: new FhirRequestHeaders { ContentType = "application/json-patch+json" }),
            "delete" => fx.SendAsync(caller, tenant, "DELETE", $"{type}/{id}"),
            "conditional-create" => fx.SendAsync(caller, tenant, "POST", type, s_templates[type],
                headers: json with { IfNoneExist = "_id=" + Guid.NewGuid() }),
            "conditional-update" => fx.SendAsync(caller, tenant, "PUT", type, WithId(type, id), query: [new("_id", id)]),
            "conditional-delete" => fx.SendAsync(caller, tenant, "DELETE", type, query: [new("_id", id)]),
            "validate" => fx.SendAsync(caller, tenant, "POST", $"{type}/$validate", s_templates[type]),
            "everything" => fx.SendAsync(caller, tenant, "GET", $"{type}/{id}/$everything"),
            _ => throw new ArgumentOutOfRangeException(nameof(interaction), interaction, null),
        };
    }
}

public sealed class SqliteAuthorizationMatrixTests(SqliteAuthzFixture fx) : AuthorizationMatrixTests(fx), IClassFixture<SqliteAuthzFixture>;

public sealed class PostgresAuthorizationMatrixTests(PostgresAuthzFixture fx) : AuthorizationMatrixTests(fx), IClassFixture<PostgresAuthzFixture>;
