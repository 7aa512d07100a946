-- HL7 v2 store-and-forward (src/Meridian.Hl7.Engine, docs/hl7v2-engine.md).
-- hl7_inbox: every accepted message, committed before its ACK is sent; raw = the bytes as
-- received. One row per (tenant, sender, MSH-10): a resent message finds its row and is
-- acknowledged again without being stored or processed twice. status: received (durable,
-- waiting for processing or for a mapping), processed, failed (see hl7_errors).
CREATE TABLE hl7_inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT    NOT NULL,
    sender        TEXT    NOT NULL,
    control_id    TEXT    NOT NULL,
    message_type  TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    ordering_key  TEXT,
    mapping_set   TEXT,
    client_id     TEXT    NOT NULL,
    remote        TEXT,
    received_at   INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    attempts      INTEGER NOT NULL,
    reason        TEXT,
    updated_at    INTEGER NOT NULL,
    raw           BLOB    NOT NULL
);
CREATE UNIQUE INDEX hl7_inbox_control ON hl7_inbox (tenant, sender, control_id);
CREATE INDEX hl7_inbox_pending ON hl7_inbox (id) WHERE status = 'received';

-- hl7_errors: messages that could not be accepted (stage 'receive': unparseable, unknown
-- sender, wrong version; no inbox row) or processed (stage 'process': inbox_id set), kept raw
-- with the reason until an operator replays them. status: open, replayed.
CREATE TABLE hl7_errors (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT    NOT NULL,
    stage         TEXT    NOT NULL,
    sender        TEXT,
    control_id    TEXT,
    message_type  TEXT,
    inbox_id      INTEGER,
    remote        TEXT,
    reason        TEXT    NOT NULL,
    occurred_at   INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    replays       INTEGER NOT NULL,
    raw           BLOB    NOT NULL
);
CREATE INDEX hl7_errors_status ON hl7_errors (status, id);
CREATE INDEX hl7_errors_sender ON hl7_errors (sender, id);
CREATE INDEX hl7_errors_inbox ON hl7_errors (inbox_id) WHERE inbox_id IS NOT NULL;
