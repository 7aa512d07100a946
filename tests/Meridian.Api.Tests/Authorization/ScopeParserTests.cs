using Meridian.Api.Authorization;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Tests.Authorization;

public sealed class ScopeParserTests
{
    private static SmartScope Parse(string text)
    {
        Assert.True(ScopeParser.TryParse(text, FhirSpec.R4, out var scope), text);
        return scope!;
    }

    [Theory]
    [InlineData("patient/Observation.rs", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/*.cruds", ScopeContext.User, null, ScopePermissions.All)]
    [InlineData("system/Patient.c", ScopeContext.System, "Patient", ScopePermissions.Create)]
    [InlineData("user/Encounter.ud", ScopeContext.User, "Encounter", ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("patient/*.read", ScopeContext.Patient, null, ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/Observation.write", ScopeContext.User, "Observation", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("system/*.*", ScopeContext.System, null, ScopePermissions.All)]
    public void Valid_scopes_become_values(string text, ScopeContext context, string? type, ScopePermissions permissions)
    {
        var scope = Parse(text);
        Assert.Equal(context, scope.Context);
        Assert.Equal(type, scope.ResourceType);
        Assert.Equal(permissions, scope.Permissions);
        Assert.True(scope.Restrictions.IsEmpty);
    }

    [Fact]
    public void Restrictions_are_search_parameters()
    {
        var scope = Parse("patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&status=final");
        Assert.Equal(2, scope.Restrictions.Length);
        Assert.Equal("category", scope.Restrictions[0].Key);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/observation-category|laboratory", scope.Restrictions[0].Value);
        Assert.Equal(new KeyValuePair<string, string>("status", "final"), scope.Restrictions[1]);
    }

    [Theory]
    [InlineData("patient/Observation.sr")]        // letters out of order
    [InlineData("patient/Observation.rr")]        // repeated
    [InlineData("patient/Observation.")]          // no letters
    [InlineData("patient/Observation.x")]
    [InlineData("patient/Nonsense.rs")]           // unknown type
    [InlineData("doctor/Observation.rs")]         // unknown context
    [InlineData("patient/Observation.rs?")]       // empty restriction
    [InlineData("patient/Observation.rs?category")] // restriction without value
    [InlineData("patient/Observation.read?x=1")]  // v1 has no restrictions
    [InlineData("Observation.rs")]
    [InlineData("")]
    public void Invalid_scopes_are_rejected(string text) =>
        Assert.False(ScopeParser.TryParse(text, FhirSpec.R4, out _), text);

    [Fact]
    public void A_token_scope_string_is_split_and_sorted_into_kinds()
    {
        var set = ScopeParser.Parse(["openid fhirUser launch/patient offline_access patient/Patient.r", "junk", "user/Foo.rs"], FhirSpec.R4);
        Assert.Equal(["patient/Patient.r"], set.Resources.Select(s => s.Text).ToArray());
        Assert.Equal(["openid", "fhirUser", "launch/patient", "offline_access"], set.Other.ToArray());
        Assert.Equal(["junk", "user/Foo.rs"], set.Invalid.ToArray());
    }

    [Fact]
    public void Letters_round_trip() =>
        Assert.Equal("cruds", ScopeParser.LettersOf(Parse("user/*.cruds").Permissions));

    [Fact]
    public void The_default_role_configuration_is_valid() =>
        Assert.Empty(AuthorizationOptions.Default.Problems(FhirSpec.R4));

    [Fact]
    public void A_broken_role_configuration_is_reported()
    {
        var options = AuthorizationOptions.Default with
        {
            RoleScopes = AuthorizationOptions.DefaultRoleScopes.SetItem("nurse", ["user/*.rs", "user/Observaton.c"]),
        };
        Assert.Contains(options.Problems(FhirSpec.R4), p => p.Contains("Observaton", StringComparison.Ordinal));
    }
}
