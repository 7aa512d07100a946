-- Guards a predicted audit-chain head (PostgresFhirStore, ChainHeads): a group commit that
-- computed its links from the head it expects calls this right after taking the tenant's chain
-- lock and before inserting them, all in one round trip with the COMMIT. If the head is not the
-- one expected (another store instance or a purge appended, or the batch the guess built on
-- rolled back) it raises serialization_failure (40001): the whole transaction is rolled back
-- and re-run like any lost race, and the store re-reads the head. So a link is never inserted
-- on top of anything but the committed head, and the hashes stay computed by the client
-- (AuditChain): the database never sees a record's plaintext (encryption at rest, ADR 0016).
-- SECURITY INVOKER: row-level security scopes the head read to the transaction's tenant.
CREATE OR REPLACE FUNCTION meridian_chain_expect(p_tenant text, p_seq bigint, p_hash bytea)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chain WHERE tenant = p_tenant ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head_hash := pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex');
    END IF;
    IF head_seq <> p_seq OR head_hash <> p_hash THEN
        RAISE EXCEPTION 'audit chain head of tenant % moved (expected %, found %)', p_tenant, p_seq, head_seq
            USING ERRCODE = 'serialization_failure';
    END IF;
END
$$;
