-- HL7 v2 inbox: encryption at rest, application acknowledgments, processing leases
-- (src/Meridian.Hl7.Engine, docs/adr/0027-hl7-inbox-encryption-and-application-acks.md).
-- sealed = 1: raw, and the PHI-bearing fields (ordering key, reason), are sealed with the
-- tenant's envelope encryption (ADR 0016) in raw / ordering_key_sealed / reason_sealed, and
-- ordering_key / reason hold nothing. sealed = 0: rows written before this migration or by a
-- server without a master key, read as plaintext as before.
-- ordering_bucket: 16 bits of a hash of (tenant, sender, ordering key): coarse on purpose, so it
-- does not identify a patient, yet enough to keep one key's messages on one node at a time.
ALTER TABLE hl7_inbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hl7_inbox ADD COLUMN ordering_key_sealed BLOB;
ALTER TABLE hl7_inbox ADD COLUMN reason_sealed BLOB;
ALTER TABLE hl7_inbox ADD COLUMN ordering_bucket INTEGER NOT NULL DEFAULT 0;
-- Processing claims (several engine nodes per database): the node that claimed the row and
-- until when (UTC ticks); an expired claim is taken again.
ALTER TABLE hl7_inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE hl7_inbox ADD COLUMN claim_expires INTEGER;
-- Enhanced-mode application acknowledgment (MSH-16): awaiting (processing not finished),
-- pending (to send, next attempt at app_ack_next), sent, skipped (MSH-16 condition not met),
-- unroutable (no return address configured for the sender); NULL: none requested.
ALTER TABLE hl7_inbox ADD COLUMN app_ack_mode TEXT;
ALTER TABLE hl7_inbox ADD COLUMN app_ack_status TEXT;
ALTER TABLE hl7_inbox ADD COLUMN app_ack_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hl7_inbox ADD COLUMN app_ack_next INTEGER;
ALTER TABLE hl7_inbox ADD COLUMN app_ack_error TEXT;
CREATE INDEX hl7_inbox_key_pending ON hl7_inbox (tenant, sender, ordering_bucket, id) WHERE status = 'received';
CREATE INDEX hl7_inbox_app_ack ON hl7_inbox (id) WHERE app_ack_status IN ('awaiting', 'pending');

ALTER TABLE hl7_errors ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hl7_errors ADD COLUMN reason_sealed BLOB;

-- One processing node per ordering key at a time: the holder and its lease (UTC ticks).
CREATE TABLE hl7_key_leases (
    tenant      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    bucket      INTEGER NOT NULL,
    node        TEXT,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, sender, bucket)
);
