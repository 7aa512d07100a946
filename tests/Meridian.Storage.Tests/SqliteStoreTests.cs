using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests;

/// <summary>The compliance suite on SQLite (a database file in a temp directory).</summary>
public sealed class SqliteStoreTests(SqliteStoreFixture fixture) : StoreComplianceTests(fixture), IClassFixture<SqliteStoreFixture>;
