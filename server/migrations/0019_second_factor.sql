-- A second factor (issue 23): TOTP with recovery codes, asked at sign-in after the first factor.

-- One authenticator app per person. The secret must be kept as it is (codes are computed from
-- it); `confirmed_at` is NULL while the person is enrolling; `last_step` is the newest 30-second
-- step a code was accepted for: no code is accepted twice.
CREATE TABLE totp_factors (
    user_id      uuid PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    secret       bytea NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Ten single-use codes for a lost phone, as digests.
CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    digest  bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, digest)
);

-- A sign-in whose first factor was right and that waits for the second: a digest of the
-- browser's token, the person, how the first factor was proved, for five minutes.
CREATE TABLE second_factor_challenges (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    method     text NOT NULL CHECK (method IN ('password', 'oidc', 'ldap')),
    expires_at timestamptz NOT NULL
);

-- When the session's person last gave their second factor (the step-up of later work reads it).
ALTER TABLE sessions ADD COLUMN second_factor_at timestamptz;
