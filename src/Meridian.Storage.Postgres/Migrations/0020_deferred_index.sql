-- Deferred search indexing (StoreOptions.DeferredIndexTypes, docs/adr/XXXX-deferred-audit-indexing.md):
-- the change sequence through which the background indexer has written the index rows of the
-- deferred types. Everything written before this migration was indexed in its own transaction,
-- so the position starts at the current head. The indexer works across tenants in the 'system'
-- scope; no other scope sees or changes the row (forced row-level security, as in 0012).
CREATE TABLE deferred_index (
    name     text COLLATE "C" NOT NULL PRIMARY KEY,
    position bigint NOT NULL
);
INSERT INTO deferred_index (name, position) SELECT 'search', COALESCE(MAX(seq), 0) FROM changes;
ALTER TABLE deferred_index ENABLE ROW LEVEL SECURITY;
ALTER TABLE deferred_index FORCE ROW LEVEL SECURITY;
CREATE POLICY system_rows ON deferred_index USING (current_setting('meridian.scope', true) = 'system');
