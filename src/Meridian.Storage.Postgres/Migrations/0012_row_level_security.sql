-- Row-level security: tenant isolation as a second line behind the tenant predicate that every
-- statement of the store already carries (docs/adr/0018-postgres-row-level-security.md).
-- FORCE makes the policies bind the tables' owner too (the role that ran the migrations and
-- that the server normally connects as); only superusers and BYPASSRLS roles are exempt.
--
-- The store tells the engine whose rows a connection works on with two settings
-- (PostgresFhirStore.EnterScopeAsync), transaction-local inside transactions:
--   meridian.tenant  the tenant whose rows are visible and writable ('' or unset: none)
--   meridian.scope   ''        nothing more
--                    'server'  the server-wide platform records (system_records, tenant '')
--                    'feed'    every tenant's change-feed rows, read only (the event dispatcher)
--                    'system'  every row (migrations, cross-tenant maintenance)
-- A connection on which neither is set sees and changes nothing. Policies are permissive
-- (OR-ed); a policy without WITH CHECK checks new rows with its USING expression.
-- A new table with a tenant column needs the same policies (a test lists tables without them).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['resources', 'token_index', 'string_index', 'reference_index', 'date_index',
        'number_index', 'quantity_index', 'uri_index', 'composite_index', 'position_index', 'changes',
        'conditional_keys', 'system_records', 'audit_chain', 'data_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_rows ON %I USING (tenant = nullif(current_setting('meridian.tenant', true), ''))$p$, t);
        EXECUTE format($p$CREATE POLICY system_rows ON %I USING (current_setting('meridian.scope', true) = 'system')$p$, t);
    END LOOP;
END $$;

CREATE POLICY feed_rows ON changes FOR SELECT USING (current_setting('meridian.scope', true) = 'feed');
CREATE POLICY server_rows ON system_records USING (tenant = '' AND current_setting('meridian.scope', true) = 'server');

-- The search probes ("does key K have a row for param P with value V?", ADR 0011) are index-only
-- scans; under RLS the policy also needs each row's tenant, which these indexes did not hold,
-- turning every probe into a heap fetch. Carrying the tenant in the index keeps them index-only.
DROP INDEX IF EXISTS token_probe;
CREATE INDEX token_probe ON token_index (resource_key, param, code, system) INCLUDE (tenant);
DROP INDEX IF EXISTS string_probe;
CREATE INDEX string_probe ON string_index (resource_key, param, norm) INCLUDE (tenant);
DROP INDEX IF EXISTS reference_probe;
CREATE INDEX reference_probe ON reference_index (resource_key, param, ref_id, ref_type) INCLUDE (tenant);
DROP INDEX IF EXISTS date_probe;
CREATE INDEX date_probe ON date_index (resource_key, param, low, high) INCLUDE (tenant);
