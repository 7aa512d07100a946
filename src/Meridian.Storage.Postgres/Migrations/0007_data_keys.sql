-- Encryption at rest (docs/encryption.md): per-tenant data keys, each stored once per master
-- key that wraps it (AES-256-GCM: nonce ‖ encrypted key ‖ tag). A master-key rotation adds
-- rows under the new master key id and retires the old ones later; a data-key rotation adds
-- the next key_id. Resource payloads name their key_id; the master key never lives here.
CREATE TABLE data_keys (
    tenant        text COLLATE "C" NOT NULL,
    key_id        bigint NOT NULL,
    master_key_id text COLLATE "C" NOT NULL,
    wrapped       bytea  NOT NULL,
    created_at    bigint NOT NULL,
    PRIMARY KEY (tenant, key_id, master_key_id)
);
