-- Conditional-create uniqueness across server processes (cf. HAPI's search-URL table): a
-- conditional create records the normalised If-None-Exist criteria in the same transaction
-- as the resource. The primary key makes a second process's claim wait for the first
-- transaction and then fail, so two servers on one database cannot both create.
-- `id` is the resource that holds the claim; a claim whose holder no longer matches the
-- criteria (deleted or changed) is taken over by compare-and-swap on `id`.
CREATE TABLE conditional_keys (
    tenant   text COLLATE "C" NOT NULL,
    type     text COLLATE "C" NOT NULL,
    criteria text COLLATE "C" NOT NULL,
    id       text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, type, criteria)
);
