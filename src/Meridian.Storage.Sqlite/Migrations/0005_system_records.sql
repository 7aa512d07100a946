-- Platform records beside the FHIR data (OAuth clients, users, refresh tokens, signing keys,
-- replay caches): opaque values under (tenant, kind, key), versioned for compare-and-swap.
-- Tenant '' holds server-wide records. expires_at (UTC ticks) is null for permanent records.
CREATE TABLE system_records (
    tenant     text    NOT NULL,
    kind       text    NOT NULL,
    key        text    NOT NULL,
    version    integer NOT NULL,
    value      blob    NOT NULL,
    updated    integer NOT NULL,
    expires_at integer,
    PRIMARY KEY (tenant, kind, key)
);
CREATE INDEX system_records_expiry ON system_records (kind, expires_at) WHERE expires_at IS NOT NULL;
