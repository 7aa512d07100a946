-- Search indexes for the SQL shapes of docs/adr/0011-search-sql-shapes.md.
-- A page is the first matches in resource_key order: one condition drives, every other one is a
-- per-row probe "does resource_key K have a row for param P with this value?". The probe indexes
-- lead with (resource_key, param) and carry the compared values, so a probe reads one or two index
-- entries and never the table; they replace the plain resource_key indexes (which they cover:
-- the write path deletes index rows by resource_key).
DROP INDEX IF EXISTS token_key;
CREATE INDEX token_probe ON token_index (resource_key, param, code, system);
DROP INDEX IF EXISTS string_key;
CREATE INDEX string_probe ON string_index (resource_key, param, norm);
DROP INDEX IF EXISTS reference_key;
CREATE INDEX reference_probe ON reference_index (resource_key, param, ref_id, ref_type);
DROP INDEX IF EXISTS date_key;
CREATE INDEX date_probe ON date_index (resource_key, param, low, high);

-- _has and _revinclude: the resources pointing at a target, their keys in the index (no table read).
DROP INDEX IF EXISTS reference_reverse;
CREATE INDEX reference_reverse ON reference_index (tenant, ref_type, ref_id, param, type, resource_key);

-- The current resources of a type in key order: the page order itself, for searches whose
-- conditions are all per-row checks (_has, :missing, OR) and for the tail of any page.
CREATE INDEX resources_type_key ON resources (tenant, type, resource_key) WHERE is_current = 1;
