-- Purge and retention replace a resource's change-feed rows with one purge marker: find them
-- through an index instead of scanning the whole feed.
CREATE INDEX changes_resource ON changes (tenant, type, id);
