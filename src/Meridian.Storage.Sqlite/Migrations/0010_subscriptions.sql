-- FHIR Subscriptions (Meridian.Subscriptions): per subscription its creator (whose read rules
-- filter what it receives), delivery status and event counter; and the durable notification
-- queue, one row per (subscription, event) with a per-subscription increasing event number.
-- Rows stay after delivery for the $events retention window; state 2 rows are dead letters.
-- Times are UTC ticks.
CREATE TABLE subscription_state (
    tenant                text    NOT NULL,
    subscription_id       text    NOT NULL,
    owner                 blob,
    status                text    NOT NULL,
    last_error            text,
    error_time            integer,
    last_event_number     integer NOT NULL DEFAULT 0,
    last_change_sequence  integer NOT NULL DEFAULT 0,
    handshake_done        integer NOT NULL DEFAULT 0,
    last_sent             integer,
    updated               integer NOT NULL,
    PRIMARY KEY (tenant, subscription_id)
);
CREATE TABLE subscription_events (
    tenant           text    NOT NULL,
    subscription_id  text    NOT NULL,
    event_number     integer NOT NULL,
    change_sequence  integer NOT NULL,
    resource_type    text    NOT NULL,
    resource_id      text    NOT NULL,
    version_id       integer NOT NULL,
    kind             integer NOT NULL,
    commit_time      integer NOT NULL,
    trace_id         text,
    state            integer NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt     integer NOT NULL,
    enqueued         integer NOT NULL,
    delivered        integer,
    last_error       text,
    PRIMARY KEY (tenant, subscription_id, event_number)
);
CREATE INDEX subscription_events_due ON subscription_events (state, next_attempt);
CREATE INDEX subscription_events_change ON subscription_events (tenant, subscription_id, change_sequence);
