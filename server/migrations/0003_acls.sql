-- ACLs that hold or refuse sign-ins, connections and commands (SPEC §6), the service tokens
-- gateways use, which gateway opened which ticket, and sign-ins waiting for review.

-- One table for the three kinds. `rule` is the whole rule as core serializes it
-- (LoginAcl, LoginAssetAcl, CommandFilterAcl); the columns beside it are copies for lists,
-- ordering and scoping.
CREATE TABLE acls (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('login', 'login_asset', 'command_filter')),
    org_id     uuid REFERENCES orgs ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    priority   integer NOT NULL CHECK (priority BETWEEN 1 AND 100),
    active     boolean NOT NULL DEFAULT true,
    action     text NOT NULL CHECK (action IN ('accept', 'reject', 'review', 'warning')),
    rule       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Login ACLs are global; the other two belong to an org.
    CHECK ((kind = 'login') = (org_id IS NULL))
);
CREATE INDEX acls_kind_org ON acls (kind, org_id, priority, id);

-- Tokens of gateways (bastions, SSH proxies). Only the SHA-256 digest is kept.
CREATE TABLE service_tokens (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash   bytea NOT NULL UNIQUE,
    created_by   uuid REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Which service token opened a confirm ticket: only it may wait on it and withdraw it.
CREATE TABLE gateway_tickets (
    ticket_id        uuid PRIMARY KEY REFERENCES tickets ON DELETE CASCADE,
    service_token_id uuid NOT NULL REFERENCES service_tokens ON DELETE CASCADE
);

-- A sign-in held by a review login ACL. The browser holds a short-lived cookie whose digest
-- is kept here; approval turns it into a session exactly once (consumed_at).
CREATE TABLE pending_logins (
    id          uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    ticket_id   uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz
);
