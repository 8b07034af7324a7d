-- What happened to a person's second factor: set up, removed by its owner, reset by a super
-- admin (or from the server's command line: no actor), a recovery code used. Append-only like
-- the ticket history (the same trigger; the application's role gets no UPDATE or DELETE on it):
-- the person's Security page and super admins read it.
CREATE TABLE security_events (
    id       bigserial PRIMARY KEY,
    user_id  uuid NOT NULL REFERENCES users,
    actor_id uuid REFERENCES users,
    kind     text NOT NULL CHECK (kind IN ('second_factor_set_up', 'second_factor_removed',
                                           'second_factor_reset', 'recovery_code_used')),
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_of_user ON security_events (user_id, at DESC, id DESC);

CREATE TRIGGER security_events_append_only
    BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER security_events_no_truncate
    BEFORE TRUNCATE ON security_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
