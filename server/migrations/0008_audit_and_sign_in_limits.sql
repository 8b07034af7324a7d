-- Issue 10: the history cannot be rewritten, and sign-in guessing is limited.

-- ---- Append-only history ----
-- `ticket_events` and `ticket_comments` only ever get INSERTs. Any UPDATE, DELETE or
-- TRUNCATE by the application's role fails, whatever code (or injected SQL) asks for it.
--
-- Cascades: a ticket's events and comments are deleted by `ON DELETE CASCADE` when the ticket
-- is, and `actor_id` is set NULL when a user is deleted. Those cascades now fail too, so a
-- ticket with history, and a user who acted on one, cannot be deleted. That is the intent:
-- Tollgate never deletes tickets or users (users are deactivated; an org can only be deleted
-- when it has no tickets, admin/people.rs `delete_org`). Removing history is an operator's
-- act outside the application: `ALTER TABLE … DISABLE TRIGGER` as the tables' owner.
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ticket_events_append_only
    BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ticket_events_no_truncate
    BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ticket_comments_append_only
    BEFORE UPDATE OR DELETE ON ticket_comments
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER ticket_comments_no_truncate
    BEFORE TRUNCATE ON ticket_comments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- ---- Sign-in rate limiting ----
-- One row per failed sign-in (wrong password, unknown or inactive user). Kept in Postgres so
-- that every instance sees the same counts. Rows older than the window are swept by the
-- sign-in code itself (ratelimit.rs).
CREATE TABLE sign_in_failures (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,          -- lower-cased, as typed (also for unknown users)
    ip       text,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at) WHERE ip IS NOT NULL;
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
