-- The held sign-in's waiting page was left (its `pagehide` beacon) at this time. A reload
-- leaves the page too, so the request is withdrawn only if the page does not ask again within
-- a few seconds (held::LEAVE_GRACE); any status request clears the mark.
ALTER TABLE pending_logins ADD COLUMN leaving_at timestamptz;
