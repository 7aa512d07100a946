-- Purge and retention replace a resource's change-feed rows with one purge marker: find them
-- through an index instead of scanning the whole feed.
CREATE INDEX changes_resource ON changes (tenant, type, id);

-- A patient's purge also looks for deleted resources (their earlier versions are out of the
-- search index); deleted heads are few, so this partial index stays small.
CREATE INDEX resources_deleted_heads ON resources (tenant, type, resource_key) WHERE is_current AND deleted;
