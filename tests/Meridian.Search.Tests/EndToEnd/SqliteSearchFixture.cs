using Meridian.Storage;
using Meridian.Storage.Sqlite;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>A SQLite store in a temp directory holding a small, hand-written data set.</summary>
public sealed class SqliteSearchFixture : IAsyncLifetime
{
    public const string Tenant = "t1";

    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-searchquery-").FullName;

    public SqliteFhirStore Store { get; private set; } = null!;

    private static readonly string[] s_resources =
    [
        """{"resourceType":"Organization","id":"org2","name":"Acme Group"}""",
        """{"resourceType":"Organization","id":"org1","name":"Acme Health","partOf":{"reference":"Organization/org2"}}""",
        """{"resourceType":"Patient","id":"p1","meta":{"tag":[{"system":"http://x","code":"vip"}]},"active":true,"identifier":[{"system":"urn:mrn","value":"1"}],"name":[{"family":"Chalmers","given":["Peter"]}],"gender":"male","birthDate":"1974-12-25","managingOrganization":{"reference":"Organization/org1"}}""",
        """{"resourceType":"Patient","id":"p2","identifier":[{"system":"urn:mrn","value":"2"}],"name":[{"family":"Müller","given":["Eve"]}],"gender":"female","birthDate":"1990-03"}""",
        """{"resourceType":"Patient","id":"p3","name":[{"family":"Smith, Jr"}],"gender":"other"}""",
        """{"resourceType":"Practitioner","id":"dr1","name":[{"family":"Eve","given":["Adam"]}]}""",
        """{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-05-01T10:30:00Z","valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}""",
        """{"resourceType":"Observation","id":"o2","status":"amended","code":{"coding":[{"system":"http://loinc.org","code":"8310-5","display":"Body temperature"}]},"subject":{"reference":"Patient/p2"},"effectiveDateTime":"2021-01-01","valueQuantity":{"value":37.5,"unit":"C","system":"http://unitsofmeasure.org","code":"Cel"}}""",
        """{"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2022-02-02","valueQuantity":{"value":72000,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}}""",
    ];

    public async Task InitializeAsync()
    {
        Store = new SqliteFhirStore(Path.Combine(_dir, "search.db"));
        await Store.MigrateAsync();
        await StoreSeed.WriteAsync(Store, Tenant, s_resources);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
