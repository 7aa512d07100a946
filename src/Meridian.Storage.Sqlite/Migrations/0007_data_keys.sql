-- Encryption at rest (docs/encryption.md): per-tenant data keys, each stored once per master
-- key that wraps it (AES-256-GCM: nonce ‖ encrypted key ‖ tag). A master-key rotation adds
-- rows under the new master key id and retires the old ones later; a data-key rotation adds
-- the next key_id. Resource payloads name their key_id; the master key never lives here.
CREATE TABLE data_keys (
    tenant        TEXT    NOT NULL,
    key_id        INTEGER NOT NULL,
    master_key_id TEXT    NOT NULL,
    wrapped       BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, key_id, master_key_id)
);
