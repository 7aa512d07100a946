-- Enters a reader connection's data scope (the settings row-level security reads, migration
-- 0012) in the same round trip as its first statement: the store sends
-- "CALL meridian_enter_scope($t, $s); <statement>" as one command (PostgresFhirStore.WithScope).
-- A procedure because CALL returns no result set, so the command's reader is the statement's.
-- Session-level settings (is_local false), as the separate set_config round trip made them:
-- they last until the pooled connection is reset on return (RESET ALL), and a failing command
-- rolls them back with its implicit transaction. SECURITY INVOKER and no SET clause (a SET
-- clause would restore settings on exit); pg_catalog is named so search_path cannot redirect.
CREATE OR REPLACE PROCEDURE meridian_enter_scope(tenant text, scope text)
LANGUAGE sql
AS $$
    SELECT pg_catalog.set_config('meridian.tenant', tenant, false), pg_catalog.set_config('meridian.scope', scope, false)
$$;
