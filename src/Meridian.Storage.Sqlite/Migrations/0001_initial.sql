-- Meridian FHIR store, SQLite schema 1.
-- Every table carries the tenant. Versions live in `resources` (all of them: history needs
-- them); `is_current` marks the newest and only current versions have index rows.
-- resource_key is a surrogate per resource (stable across versions) that the index tables
-- join on, so they stay narrow. Instants are UTC ticks (INTEGER). Decimals are REAL: SQLite
-- has no decimal type and text would compare as text.

CREATE TABLE resources (
    tenant       TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    resource_key INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    is_current   INTEGER NOT NULL,
    json         BLOB    NOT NULL,
    -- SHA-256 of the JSON as the caller sent it: an update with the same bytes is a no-op.
    content_hash BLOB,
    PRIMARY KEY (tenant, type, id, version)
);
-- At most one current version per resource: the backstop against lost updates.
CREATE UNIQUE INDEX resources_current ON resources (tenant, type, id) WHERE is_current = 1;
CREATE INDEX resources_current_key ON resources (resource_key) WHERE is_current = 1;
CREATE UNIQUE INDEX resources_key_version ON resources (resource_key, version);
CREATE INDEX resources_type_updated ON resources (tenant, type, last_updated);
CREATE INDEX resources_updated ON resources (tenant, last_updated);

CREATE TABLE token_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    system TEXT, code TEXT, text_norm TEXT, type_system TEXT, type_code TEXT
);
CREATE INDEX token_code ON token_index (tenant, type, param, code, system, resource_key);
CREATE INDEX token_text ON token_index (tenant, type, param, text_norm, resource_key);
CREATE INDEX token_key ON token_index (resource_key);

CREATE TABLE string_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    value TEXT NOT NULL, norm TEXT NOT NULL
);
CREATE INDEX string_norm ON string_index (tenant, type, param, norm, resource_key);
CREATE INDEX string_key ON string_index (resource_key);

CREATE TABLE reference_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    kind INTEGER NOT NULL, ref_type TEXT, ref_id TEXT, ref_version TEXT, url TEXT, base_url TEXT, reference TEXT
);
CREATE INDEX reference_target ON reference_index (tenant, type, param, ref_id, ref_type, resource_key);
-- _has and _revinclude start from the target.
CREATE INDEX reference_reverse ON reference_index (tenant, ref_type, ref_id, param, type);
CREATE INDEX reference_url ON reference_index (tenant, type, param, url);
CREATE INDEX reference_key ON reference_index (resource_key);

CREATE TABLE date_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    low INTEGER NOT NULL, high INTEGER NOT NULL
);
CREATE INDEX date_range ON date_index (tenant, type, param, low, high, resource_key);
CREATE INDEX date_key ON date_index (resource_key);

CREATE TABLE number_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL
);
CREATE INDEX number_value ON number_index (tenant, type, param, value, resource_key);
CREATE INDEX number_key ON number_index (resource_key);

CREATE TABLE quantity_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    system TEXT, code TEXT, unit TEXT, comparator TEXT, value REAL, low REAL, high REAL,
    canonical_unit TEXT, canonical_low REAL, canonical_high REAL
);
CREATE INDEX quantity_code ON quantity_index (tenant, type, param, code, low, resource_key);
CREATE INDEX quantity_canonical ON quantity_index (tenant, type, param, canonical_unit, canonical_low, resource_key);
CREATE INDEX quantity_key ON quantity_index (resource_key);

CREATE TABLE uri_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    uri TEXT NOT NULL, version TEXT
);
CREATE INDEX uri_uri ON uri_index (tenant, type, param, uri, resource_key);
CREATE INDEX uri_key ON uri_index (resource_key);

CREATE TABLE composite_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    c1_system TEXT, c1_code TEXT, c1_low REAL, c1_high REAL, c1_date_low INTEGER, c1_date_high INTEGER,
    c2_system TEXT, c2_code TEXT, c2_low REAL, c2_high REAL, c2_date_low INTEGER, c2_date_high INTEGER
);
CREATE INDEX composite_codes ON composite_index (tenant, type, param, c1_code, c2_code, resource_key);
CREATE INDEX composite_key ON composite_index (resource_key);

CREATE TABLE position_index (
    tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
    latitude REAL NOT NULL, longitude REAL NOT NULL
);
CREATE INDEX position_latlong ON position_index (tenant, type, param, latitude, longitude, resource_key);
CREATE INDEX position_key ON position_index (resource_key);

-- The change feed / outbox: one row per written version, in the same transaction. The single
-- SQLite writer makes AUTOINCREMENT order the commit order.
CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant   TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    op       INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    trace_id TEXT
);
