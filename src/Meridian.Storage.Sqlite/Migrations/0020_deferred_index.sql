-- Deferred search indexing (StoreOptions.DeferredIndexTypes, docs/adr/XXXX-deferred-audit-indexing.md):
-- the change sequence through which the background indexer has written the index rows of the
-- deferred types. Everything written before this migration was indexed in its own transaction,
-- so the position starts at the current head.
CREATE TABLE deferred_index (
    name     TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
);
INSERT INTO deferred_index (name, position) SELECT 'search', COALESCE(MAX(seq), 0) FROM changes;
