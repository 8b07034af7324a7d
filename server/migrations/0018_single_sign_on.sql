-- Single sign-on (issue 22): OpenID Connect and LDAP sign-in, people linked to the provider's
-- identity, and groups mapped to org memberships.

-- One row per kind of provider: what the admin page edits (the secrets too: the server needs
-- them to talk to the provider; the API never answers them).
CREATE TABLE sign_in_providers (
    kind       text PRIMARY KEY CHECK (kind IN ('oidc', 'ldap')),
    config     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users ON DELETE SET NULL
);

-- Who a person is at a provider: OpenID Connect's issuer and `sub`, or the LDAP server and the
-- entry's unique id. Never the email, which providers let people change.
CREATE TABLE user_identities (
    issuer       text NOT NULL,
    subject      text NOT NULL,
    user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    provider     text NOT NULL CHECK (provider IN ('oidc', 'ldap')),
    -- The LDAP entry's DN (for the sync), or the provider's preferred username.
    login        text NOT NULL DEFAULT '',
    last_sign_in timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- Group name → org membership (with its role) and/or super admin.
CREATE TABLE group_mappings (
    id          uuid PRIMARY KEY,
    provider    text NOT NULL CHECK (provider IN ('oidc', 'ldap')),
    group_name  text NOT NULL CHECK (length(group_name) BETWEEN 1 AND 256),
    org_id      uuid REFERENCES orgs ON DELETE CASCADE,
    org_role    text CHECK (org_role IN ('org_admin', 'org_auditor', 'org_user')),
    super_admin boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((org_id IS NULL) = (org_role IS NULL)),
    CHECK (org_id IS NOT NULL OR super_admin)
);
CREATE UNIQUE INDEX group_mappings_key
    ON group_mappings (provider, lower(group_name), coalesce(org_id, '00000000-0000-0000-0000-000000000000'));

-- Memberships a mapping gave are taken back when the group no longer gives them; those an
-- administrator made are left alone.
ALTER TABLE memberships ADD COLUMN source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'sso'));
-- The same for super admin.
ALTER TABLE users ADD COLUMN super_admin_from_sso boolean NOT NULL DEFAULT false;

-- An OpenID Connect sign-in under way: its state (as a digest), nonce and PKCE verifier, kept
-- server-side and used once.
CREATE TABLE oidc_logins (
    state_hash    bytea PRIMARY KEY,
    nonce         text NOT NULL,
    pkce_verifier text NOT NULL,
    next          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- How each session was opened: the audit of sign-ins names it.
ALTER TABLE sessions ADD COLUMN method text NOT NULL DEFAULT 'password' CHECK (method IN ('password', 'oidc', 'ldap'));
-- A held sign-in remembers how the person proved who they are, for the session it opens.
ALTER TABLE pending_logins ADD COLUMN method text NOT NULL DEFAULT 'password' CHECK (method IN ('password', 'oidc', 'ldap'));
