-- HL7 v2 store-and-forward (src/Meridian.Hl7.Engine, docs/hl7v2-engine.md).
-- hl7_inbox: every accepted message, committed before its ACK is sent; raw = the bytes as
-- received. One row per (tenant, sender, MSH-10): a resent message finds its row and is
-- acknowledged again without being stored or processed twice. status: received (durable,
-- waiting for processing or for a mapping), processed, failed (see hl7_errors).
CREATE TABLE hl7_inbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant        text COLLATE "C" NOT NULL,
    sender        text COLLATE "C" NOT NULL,
    control_id    text COLLATE "C" NOT NULL,
    message_type  text COLLATE "C" NOT NULL,
    version       text COLLATE "C" NOT NULL,
    ordering_key  text,
    mapping_set   text,
    client_id     text COLLATE "C" NOT NULL,
    remote        text,
    received_at   bigint NOT NULL,
    status        text COLLATE "C" NOT NULL,
    attempts      bigint NOT NULL,
    reason        text,
    updated_at    bigint NOT NULL,
    raw           bytea NOT NULL
);
CREATE UNIQUE INDEX hl7_inbox_control ON hl7_inbox (tenant, sender, control_id);
CREATE INDEX hl7_inbox_pending ON hl7_inbox (id) WHERE status = 'received';

-- hl7_errors: messages that could not be accepted (stage 'receive': unparseable, unknown
-- sender, wrong version; no inbox row) or processed (stage 'process': inbox_id set), kept raw
-- with the reason until an operator replays them. status: open, replayed.
CREATE TABLE hl7_errors (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant        text COLLATE "C" NOT NULL,
    stage         text COLLATE "C" NOT NULL,
    sender        text,
    control_id    text,
    message_type  text,
    inbox_id      bigint,
    remote        text,
    reason        text NOT NULL,
    occurred_at   bigint NOT NULL,
    status        text COLLATE "C" NOT NULL,
    replays       bigint NOT NULL,
    raw           bytea NOT NULL
);
CREATE INDEX hl7_errors_status ON hl7_errors (status, id);
CREATE INDEX hl7_errors_sender ON hl7_errors (sender, id);
CREATE INDEX hl7_errors_inbox ON hl7_errors (inbox_id) WHERE inbox_id IS NOT NULL;
