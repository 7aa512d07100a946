-- Platform records beside the FHIR data (OAuth clients, users, refresh tokens, signing keys,
-- replay caches): opaque values under (tenant, kind, key), versioned for compare-and-swap.
-- Tenant '' holds server-wide records. expires_at (UTC ticks) is null for permanent records.
CREATE TABLE system_records (
    tenant     text COLLATE "C" NOT NULL,
    kind       text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    value      bytea  NOT NULL,
    updated    bigint NOT NULL,
    expires_at bigint,
    PRIMARY KEY (tenant, kind, key)
);
CREATE INDEX system_records_expiry ON system_records (kind, expires_at) WHERE expires_at IS NOT NULL;
