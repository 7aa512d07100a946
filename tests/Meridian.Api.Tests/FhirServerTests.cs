using Meridian.Api.Tests.Support;

namespace Meridian.Api.Tests;

/// <summary>
/// The end-to-end suite over real HTTP, written once and run against every store (after
/// microsoft/fhir-server's fixture-argument pattern). Each test works in a fresh tenant.
/// Split by area into partial files.
/// </summary>
public abstract partial class FhirServerTests(ServerFixture fixture)
{
    protected ServerFixture Fixture { get; } = fixture;

    /// <summary>This test's own tenant.</summary>
    protected FhirClient Api { get; } = new(fixture.Http, fixture.NewTenantBase());

    protected static string Patient(string family, string? id = null, string? identifier = null, string gender = "female")
    {
        var idPart = id is null ? "" : ",\"id\":\"" + id + "\"";
        var identifierPart = identifier is null ? "" : ",\"identifier\":[{\"system\":\"urn:test\",\"value\":\"" + identifier + "\"}]";
        return "{\"resourceType\":\"Patient\"" + idPart + identifierPart +
            ",\"name\":[{\"family\":\"" + family + "\",\"given\":[\"Ann\"]}],\"gender\":\"" + gender + "\",\"birthDate\":\"1970-01-01\"}";
    }

    protected static string Observation(string patientReference, string code = "8867-4") =>
        $$$"""
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"{{{patientReference}}}"},"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
        """;
}

public sealed class SqliteFhirServerTests(SqliteServerFixture fixture) : FhirServerTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class PostgresFhirServerTests(PostgresServerFixture fixture) : FhirServerTests(fixture), IClassFixture<PostgresServerFixture>;
