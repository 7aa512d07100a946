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
CREATE INDEX resources_type_key ON resources (tenant, type, resource_key) WHERE is_current;

-- The planner multiplies per-column selectivities; type, param and value are strongly dependent
-- (a LOINC code only occurs under Observation "code"), so without these it misjudges how many
-- rows a (param, value) pair has and can flip a patient+code search from an index plan to a scan.
CREATE STATISTICS IF NOT EXISTS token_index_type_param_code (ndistinct, dependencies, mcv) ON type, param, code FROM token_index;
CREATE STATISTICS IF NOT EXISTS reference_index_type_param_ref (ndistinct, dependencies) ON type, param, ref_type FROM reference_index;
CREATE STATISTICS IF NOT EXISTS date_index_type_param (ndistinct, dependencies, mcv) ON type, param FROM date_index;
CREATE STATISTICS IF NOT EXISTS string_index_type_param (ndistinct, dependencies, mcv) ON type, param FROM string_index;

-- Search statements are short index walks whose cost estimates can still pass jit_above_cost on
-- a large database; compiling them (tens of ms, seen in EXPLAIN at 1.1 M resources) costs more
-- than running them. Parallel workers do not help a server answering many small concurrent
-- searches, and they hide the streaming plan: with them, a _has page at 1.1 M resources was a
-- parallel scan of every Patient plus a sort (0.8 s alone) instead of an ordered scan that stops
-- after 51 (40 ms). Needs ownership of the database: without it both settings stay as they are.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
    EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit and parallel query stay on: not the owner of the database';
END $$;
