using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>The compliance suite on PostgreSQL (fresh database on MERIDIAN_TEST_PG).</summary>
public sealed class PostgresStoreTests(PostgresStoreFixture fixture) : StoreComplianceTests(fixture), IClassFixture<PostgresStoreFixture>;
