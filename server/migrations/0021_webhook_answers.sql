-- What a webhook's receiver answered when it took a message: its status and the start of its
-- body (the webhooks page shows it beside each delivery; a refusal's answer is in last_error).
ALTER TABLE outbox ADD COLUMN answer text;
