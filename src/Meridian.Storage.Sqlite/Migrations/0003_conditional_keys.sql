-- SQLite: the same table as PostgreSQL (one writer at a time, so the key mostly guards
-- against a second process on the same file).
-- Conditional-create uniqueness across server processes (cf. HAPI's search-URL table): a
-- conditional create records the normalised If-None-Exist criteria in the same transaction
-- as the resource. The primary key makes a second process's claim wait for the first
-- transaction and then fail, so two servers on one database cannot both create.
-- `id` is the resource that holds the claim; a claim whose holder no longer matches the
-- criteria (deleted or changed) is taken over by compare-and-swap on `id`.
CREATE TABLE conditional_keys (
    tenant   text NOT NULL,
    type     text NOT NULL,
    criteria text NOT NULL,
    id       text NOT NULL,
    PRIMARY KEY (tenant, type, criteria)
);
