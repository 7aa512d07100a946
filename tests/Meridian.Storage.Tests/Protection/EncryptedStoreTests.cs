namespace Meridian.Storage.Tests.Protection;

/// <summary>The whole store compliance suite again, with encryption at rest on: every read,
/// history, search and include path goes through the protector.</summary>
public sealed class EncryptedSqliteStoreTests(EncryptedSqliteStoreFixture fixture) : StoreComplianceTests(fixture), IClassFixture<EncryptedSqliteStoreFixture>;

/// <summary>The compliance suite on PostgreSQL with encryption at rest on.</summary>
public sealed class EncryptedPostgresStoreTests(EncryptedPostgresStoreFixture fixture) : StoreComplianceTests(fixture), IClassFixture<EncryptedPostgresStoreFixture>;

public sealed class SqliteProtectionTests(EncryptedSqliteStoreFixture fixture) : ProtectionTests(fixture), IClassFixture<EncryptedSqliteStoreFixture>;

public sealed class PostgresProtectionTests(EncryptedPostgresStoreFixture fixture) : ProtectionTests(fixture), IClassFixture<EncryptedPostgresStoreFixture>;

public sealed class SqliteKeyRotationTests(EncryptedSqliteStoreFixture fixture) : KeyRotationTests(fixture), IClassFixture<EncryptedSqliteStoreFixture>;

public sealed class PostgresKeyRotationTests(EncryptedPostgresStoreFixture fixture) : KeyRotationTests(fixture), IClassFixture<EncryptedPostgresStoreFixture>;
