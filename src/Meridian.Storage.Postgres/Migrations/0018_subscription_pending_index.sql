-- Subscriptions (Meridian.Subscriptions): the pending notifications of a subscription in event
-- order without walking its delivered rows (kept for the $events retention window): the
-- workers' "oldest pending" read and the delivery pass's "is an older one still waiting" check.
-- Partial: delivered rows, most of the table, are not in it. Queries name state 0 as a constant.
CREATE INDEX subscription_events_pending ON subscription_events (tenant, subscription_id, event_number) WHERE state = 0;
