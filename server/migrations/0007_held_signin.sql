-- The held sign-in (SPEC §6): a sign-in a `review` login ACL matched waits, as a
-- login_confirm ticket, for a reviewer. The browser holds a random token (a cookie) whose
-- SHA-256 digest is `token_hash`; it turns into a session once, after the approval.
ALTER TABLE pending_logins
    ADD COLUMN rule_name  text NOT NULL DEFAULT '',
    ADD COLUMN ip         text,
    ADD COLUMN user_agent text;
CREATE INDEX pending_logins_ticket ON pending_logins (ticket_id);
