-- Date envelopes (docs/adr/0011-search-sql-shapes.md, second addendum; DateEnvelopes.cs): one row
-- per (resource, date parameter) with the lowest low and highest high of its date rows, written
-- with the other index rows. A search with a bounded date window finds every candidate by one
-- seek per span class: low BETWEEN window start - the class's longest span AND window end.
-- span_class c holds envelopes of at most one day * 4^c (ticks below); 11 is anything longer.
CREATE TABLE date_envelope (
    tenant text COLLATE "C" NOT NULL, resource_key bigint NOT NULL, type text COLLATE "C" NOT NULL, param text COLLATE "C" NOT NULL,
    low bigint NOT NULL, high bigint NOT NULL, span_class smallint NOT NULL
);

-- Backfill from the date rows already written (they belong to current versions only): one
-- aggregate over date_index, the indexes built afterwards (migrations run in the 'system' scope).
INSERT INTO date_envelope (tenant, resource_key, type, param, low, high, span_class)
SELECT tenant, resource_key, type, param, low, high,
       CASE WHEN high - low <= 864000000000 THEN 0 WHEN high - low <= 3456000000000 THEN 1 WHEN high - low <= 13824000000000 THEN 2 WHEN high - low <= 55296000000000 THEN 3 WHEN high - low <= 221184000000000 THEN 4 WHEN high - low <= 884736000000000 THEN 5 WHEN high - low <= 3538944000000000 THEN 6 WHEN high - low <= 14155776000000000 THEN 7 WHEN high - low <= 56623104000000000 THEN 8 WHEN high - low <= 226492416000000000 THEN 9 WHEN high - low <= 905969664000000000 THEN 10 ELSE 11 END
FROM (SELECT tenant, resource_key, type, param, min(low) AS low, max(high) AS high
      FROM date_index GROUP BY resource_key, param, tenant, type) e;

-- The window seek (index-only: the page needs only resource_key) and the write path's deletes by key.
CREATE INDEX date_envelope_window ON date_envelope (tenant, type, param, span_class, low) INCLUDE (high, resource_key);
CREATE INDEX date_envelope_key ON date_envelope (resource_key, param) INCLUDE (tenant);

-- Tenant isolation as for every index table (0012).
ALTER TABLE date_envelope ENABLE ROW LEVEL SECURITY;
ALTER TABLE date_envelope FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON date_envelope USING (tenant = nullif(current_setting('meridian.tenant', true), ''));
CREATE POLICY system_rows ON date_envelope USING (current_setting('meridian.scope', true) = 'system');
ANALYZE date_envelope;
