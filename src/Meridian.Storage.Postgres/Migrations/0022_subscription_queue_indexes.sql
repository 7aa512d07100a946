-- Subscriptions (Meridian.Subscriptions): fewer indexes on the notification queue. Every queued
-- notification is inserted once and updated once (delivered), and that update changes the state
-- column, so it is never a HOT update: each index costs an entry on the insert AND another on the
-- delivered update. Measured with pg_stat_statements under the load harness (docs/benchmarks.md).
--   subscription_events_change (tenant, subscription_id, change_sequence): no query uses it (the
--     enqueue skips redelivered changes by subscription_state.last_change_sequence).
--   subscription_events_due (state, next_attempt): the due reads use the partial index of pending
--     rows (0018); the retention purge scans delivered rows, most of the table, either way.
-- Dead letters, few, get a partial index of their own (the operator's $dead-letters listing;
-- queries name state 2 as a constant).
DROP INDEX IF EXISTS subscription_events_change;
DROP INDEX IF EXISTS subscription_events_due;
CREATE INDEX IF NOT EXISTS subscription_events_dead ON subscription_events (tenant, subscription_id, event_number) WHERE state = 2;
