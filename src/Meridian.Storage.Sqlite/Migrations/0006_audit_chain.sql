-- The per-tenant tamper-evident hash chain over AuditEvent versions (see AuditChain in
-- Meridian.Storage and docs/audit.md). Appended in the transaction that writes the version;
-- SQLite's single writer serialises the appends. Hashes are 32-byte SHA-256 values.
CREATE TABLE audit_chain (
    tenant      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    record_hash BLOB    NOT NULL,
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE UNIQUE INDEX audit_chain_version ON audit_chain (tenant, type, id, version);
