-- The webhooks page lists a webhook's latest deliveries.
CREATE INDEX outbox_webhook_recent ON outbox (webhook_id, created_at DESC) WHERE webhook_id IS NOT NULL;
