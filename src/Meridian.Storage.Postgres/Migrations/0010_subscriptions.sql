-- FHIR Subscriptions (Meridian.Subscriptions): per subscription its creator (whose read rules
-- filter what it receives), delivery status and event counter; and the durable notification
-- queue, one row per (subscription, event) with a per-subscription increasing event number.
-- Rows stay after delivery for the $events retention window; state 2 rows are dead letters.
-- Times are UTC ticks.
CREATE TABLE subscription_state (
    tenant                text COLLATE "C" NOT NULL,
    subscription_id       text COLLATE "C" NOT NULL,
    owner                 bytea,
    status                text COLLATE "C" NOT NULL,
    last_error            text,
    error_time            bigint,
    last_event_number     bigint NOT NULL DEFAULT 0,
    last_change_sequence  bigint NOT NULL DEFAULT 0,
    handshake_done        bigint NOT NULL DEFAULT 0,
    last_sent             bigint,
    updated               bigint NOT NULL,
    PRIMARY KEY (tenant, subscription_id)
);
CREATE TABLE subscription_events (
    tenant           text COLLATE "C" NOT NULL,
    subscription_id  text COLLATE "C" NOT NULL,
    event_number     bigint NOT NULL,
    change_sequence  bigint NOT NULL,
    resource_type    text COLLATE "C" NOT NULL,
    resource_id      text COLLATE "C" NOT NULL,
    version_id       bigint NOT NULL,
    kind             bigint NOT NULL,
    commit_time      bigint NOT NULL,
    trace_id         text,
    state            bigint NOT NULL,
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt     bigint NOT NULL,
    enqueued         bigint NOT NULL,
    delivered        bigint,
    last_error       text,
    PRIMARY KEY (tenant, subscription_id, event_number)
);
CREATE INDEX subscription_events_due ON subscription_events (state, next_attempt);
CREATE INDEX subscription_events_change ON subscription_events (tenant, subscription_id, change_sequence);
