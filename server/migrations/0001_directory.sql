-- People, orgs and where they belong; sessions; the asset estate; approval flows.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 128),
    email         text NOT NULL DEFAULT '',
    password_hash text,
    system_role   text NOT NULL DEFAULT 'user' CHECK (system_role IN ('super_admin', 'user')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE orgs (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orgs_name_key ON orgs (lower(name));

CREATE TABLE memberships (
    org_id  uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    role    text NOT NULL CHECK (role IN ('org_admin', 'org_auditor', 'org_user')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Only a digest of the session token is stored: a leaked table does not leak sessions.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ip           text,
    user_agent   text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Each org has one tree; the root has no parent.
CREATE TABLE nodes (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    parent_id  uuid REFERENCES nodes ON DELETE RESTRICT,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX nodes_one_root ON nodes (org_id) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX nodes_sibling_name ON nodes (parent_id, lower(name)) WHERE parent_id IS NOT NULL;

CREATE TABLE assets (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    address    text NOT NULL,
    platform   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX assets_org_name ON assets (org_id, lower(name));

CREATE TABLE asset_nodes (
    asset_id uuid NOT NULL REFERENCES assets ON DELETE CASCADE,
    node_id  uuid NOT NULL REFERENCES nodes ON DELETE CASCADE,
    PRIMARY KEY (asset_id, node_id)
);
CREATE INDEX asset_nodes_node ON asset_nodes (node_id);

CREATE TABLE accounts (
    id         uuid PRIMARY KEY,
    asset_id   uuid NOT NULL REFERENCES assets ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 128 AND name <> '@ALL'),
    username   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_asset_name ON accounts (asset_id, lower(name));

-- One flow per (org or global) and ticket type; the levels are core's `Flow`, as JSON.
CREATE TABLE flows (
    id          uuid PRIMARY KEY,
    org_id      uuid REFERENCES orgs ON DELETE CASCADE,
    ticket_type text NOT NULL,
    definition  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES users ON DELETE SET NULL,
    UNIQUE NULLS NOT DISTINCT (org_id, ticket_type)
);
