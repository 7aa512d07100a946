-- Row-level security for the tables that platform modules keep beside the FHIR data
-- (subscriptions, migration 0010; the HL7 v2 inbox and error store, 0011), with the policies
-- of 0012. Modules work across tenants (one delivery loop, one inbox dispatcher for all
-- tenants), so they reach these tables only in the 'system' scope
-- (RelationalFhirStore.ModuleTables / .SqlAccess); a connection scoped to one tenant sees that
-- tenant's rows, and one with no scope sees nothing (docs/adr/0018-postgres-row-level-security.md).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['subscription_state', 'subscription_events', 'hl7_inbox', 'hl7_errors']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_rows ON %I USING (tenant = nullif(current_setting('meridian.tenant', true), ''))$p$, t);
        EXECUTE format($p$CREATE POLICY system_rows ON %I USING (current_setting('meridian.scope', true) = 'system')$p$, t);
    END LOOP;
END $$;
