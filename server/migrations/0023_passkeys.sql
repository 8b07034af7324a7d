-- Passkeys and security keys (WebAuthn), a second factor beside the authenticator app. A
-- person may register several and name them; `passkey` is the credential as webauthn-rs keeps
-- it (public key, counter, flags), `credential_id` its id, unique across everyone.
CREATE TABLE passkeys (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    credential_id bytea NOT NULL UNIQUE,
    passkey       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX passkeys_of_user ON passkeys (user_id, created_at);

-- A ceremony under way (registering a passkey, or proving one): the server's half of the
-- challenge, for a few minutes; one of each purpose per person, taken once.
CREATE TABLE passkey_ceremonies (
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    state      jsonb NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

ALTER TABLE security_events DROP CONSTRAINT security_events_kind_check,
    ADD CONSTRAINT security_events_kind_check
    CHECK (kind IN ('second_factor_set_up', 'second_factor_removed', 'second_factor_reset',
                    'recovery_code_used', 'passkey_added', 'passkey_removed'));

ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_step_up_check,
    ADD CONSTRAINT ticket_events_step_up_check
    CHECK (step_up IN ('totp', 'recovery_code', 'session', 'token', 'passkey'));
