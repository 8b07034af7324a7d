-- Administration: settings an admin changes at run time (issue 8). Another migration may
-- create the same table first; this one is written to be harmless then.
CREATE TABLE IF NOT EXISTS settings (key text PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), updated_by uuid REFERENCES users ON DELETE SET NULL);

-- The audit export reads events by time.
CREATE INDEX IF NOT EXISTS ticket_events_at ON ticket_events (at);
