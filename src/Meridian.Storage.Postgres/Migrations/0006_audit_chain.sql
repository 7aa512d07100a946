-- The per-tenant tamper-evident hash chain over AuditEvent versions (see AuditChain in
-- Meridian.Storage and docs/audit.md). Appended in the transaction that writes the version,
-- under a transaction-scoped advisory lock keyed by the tenant. Hashes are 32-byte SHA-256.
CREATE TABLE audit_chain (
    tenant      text COLLATE "C" NOT NULL,
    seq         bigint           NOT NULL,
    type        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint           NOT NULL,
    at          bigint           NOT NULL,
    record_hash bytea            NOT NULL,
    prev_hash   bytea            NOT NULL,
    hash        bytea            NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE UNIQUE INDEX audit_chain_version ON audit_chain (tenant, type, id, version);
