-- Meridian FHIR store, PostgreSQL schema 1.
-- Every table carries the tenant. Versions live in `resources` (all of them: history needs
-- them); `is_current` marks the newest and only current versions have index rows.
-- resource_key is a surrogate per resource (stable across versions) that the index tables
-- join on, so they stay narrow. Instants are UTC ticks (bigint, like the SQLite provider).
-- Text is COLLATE "C": byte order makes the prefix ranges of string search use the btree
-- indexes and matches SQLite's BINARY collation. json is bytea: the bytes exactly as accepted
-- (jsonb would reorder keys and cost a parse on every write).

CREATE TABLE resources (
    tenant       text COLLATE "C"    NOT NULL,
    type         text COLLATE "C"    NOT NULL,
    id           text COLLATE "C"    NOT NULL,
    version      bigint NOT NULL,
    resource_key bigint NOT NULL,
    last_updated bigint NOT NULL,
    deleted      boolean NOT NULL,
    is_current   boolean NOT NULL,
    json         bytea    NOT NULL,
    -- SHA-256 of the JSON as the caller sent it: an update with the same bytes is a no-op.
    content_hash bytea,
    PRIMARY KEY (tenant, type, id, version)
);
-- At most one current version per resource: the backstop against lost updates.
CREATE UNIQUE INDEX resources_current ON resources (tenant, type, id) WHERE is_current;
CREATE INDEX resources_current_key ON resources (resource_key) WHERE is_current;
CREATE UNIQUE INDEX resources_key_version ON resources (resource_key, version);
CREATE INDEX resources_type_updated ON resources (tenant, type, last_updated);
CREATE INDEX resources_updated ON resources (tenant, last_updated);

CREATE TABLE token_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    system text COLLATE "C", code text COLLATE "C", text_norm text COLLATE "C", type_system text COLLATE "C", type_code text COLLATE "C"
);
CREATE INDEX token_code ON token_index (tenant, type, param, code, system, resource_key);
CREATE INDEX token_text ON token_index (tenant, type, param, text_norm, resource_key);
CREATE INDEX token_key ON token_index (resource_key);

CREATE TABLE string_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL, norm text COLLATE "C" NOT NULL
);
CREATE INDEX string_norm ON string_index (tenant, type, param, norm, resource_key);
CREATE INDEX string_key ON string_index (resource_key);

CREATE TABLE reference_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    kind integer NOT NULL, ref_type text COLLATE "C", ref_id text COLLATE "C", ref_version text COLLATE "C", url text COLLATE "C", base_url text COLLATE "C", reference text COLLATE "C"
);
CREATE INDEX reference_target ON reference_index (tenant, type, param, ref_id, ref_type, resource_key);
-- _has and _revinclude start from the target.
CREATE INDEX reference_reverse ON reference_index (tenant, ref_type, ref_id, param, type);
CREATE INDEX reference_url ON reference_index (tenant, type, param, url);
CREATE INDEX reference_key ON reference_index (resource_key);

CREATE TABLE date_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    low bigint NOT NULL, high bigint NOT NULL
);
CREATE INDEX date_range ON date_index (tenant, type, param, low, high, resource_key);
CREATE INDEX date_key ON date_index (resource_key);

CREATE TABLE number_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    value numeric NOT NULL, low numeric NOT NULL, high numeric NOT NULL
);
CREATE INDEX number_value ON number_index (tenant, type, param, value, resource_key);
CREATE INDEX number_key ON number_index (resource_key);

CREATE TABLE quantity_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    system text COLLATE "C", code text COLLATE "C", unit text COLLATE "C", comparator text COLLATE "C", value numeric, low numeric, high numeric,
    canonical_unit text COLLATE "C", canonical_low numeric, canonical_high numeric
);
CREATE INDEX quantity_code ON quantity_index (tenant, type, param, code, low, resource_key);
CREATE INDEX quantity_canonical ON quantity_index (tenant, type, param, canonical_unit, canonical_low, resource_key);
CREATE INDEX quantity_key ON quantity_index (resource_key);

CREATE TABLE uri_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    uri text COLLATE "C" NOT NULL, version text COLLATE "C"
);
CREATE INDEX uri_uri ON uri_index (tenant, type, param, uri, resource_key);
CREATE INDEX uri_key ON uri_index (resource_key);

CREATE TABLE composite_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    c1_system text COLLATE "C", c1_code text COLLATE "C", c1_low numeric, c1_high numeric, c1_date_low bigint, c1_date_high bigint,
    c2_system text COLLATE "C", c2_code text COLLATE "C", c2_low numeric, c2_high numeric, c2_date_low bigint, c2_date_high bigint
);
CREATE INDEX composite_codes ON composite_index (tenant, type, param, c1_code, c2_code, resource_key);
CREATE INDEX composite_key ON composite_index (resource_key);

CREATE TABLE position_index (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    latitude numeric NOT NULL, longitude numeric NOT NULL
);
CREATE INDEX position_latlong ON position_index (tenant, type, param, latitude, longitude, resource_key);
CREATE INDEX position_key ON position_index (resource_key);

-- The change feed / outbox: one row per written version, in the same transaction. Writers take
-- a transaction-scoped advisory lock just before inserting here, so identity order is commit order.
CREATE TABLE changes (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant   text COLLATE "C"    NOT NULL,
    type     text COLLATE "C"    NOT NULL,
    id       text COLLATE "C"    NOT NULL,
    version  bigint NOT NULL,
    op       smallint NOT NULL,
    at       bigint NOT NULL,
    trace_id text COLLATE "C"
);

-- Surrogate keys for resources; cached per session (keys need to be unique, not gap-free).
CREATE SEQUENCE resource_keys CACHE 64;
