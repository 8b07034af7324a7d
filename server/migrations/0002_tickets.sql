-- Tickets, their steps and assignees, the append-only history, comments, and grants.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The daily counter behind serial numbers: one row per day, bumped with an upsert, so
-- concurrent opens get distinct numbers with no retry loop and no 9999-a-day ceiling.
CREATE TABLE ticket_serials (
    day  date PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE tickets (
    id            uuid PRIMARY KEY,
    serial        text NOT NULL UNIQUE,
    ticket_type   text NOT NULL CHECK (ticket_type IN ('apply_asset', 'login_confirm', 'login_asset_confirm', 'command_confirm')),
    title         text NOT NULL,
    org_id        uuid REFERENCES orgs ON DELETE CASCADE,
    applicant_id  uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    state         text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'closed', 'expired')),
    current_level smallint NOT NULL,
    -- core's `Ticket` parts that are read whole: the request, the steps with their
    -- assignees and decisions, the CC list. `ticket_assignees` mirrors the steps for queries.
    request       jsonb NOT NULL,
    steps         jsonb NOT NULL,
    cc            jsonb NOT NULL DEFAULT '[]',
    comment       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX tickets_applicant ON tickets (applicant_id, created_at DESC);
CREATE INDEX tickets_org ON tickets (org_id, created_at DESC);
CREATE INDEX tickets_created ON tickets (created_at DESC);
CREATE INDEX tickets_pending_expiry ON tickets (expires_at) WHERE state = 'pending';
CREATE INDEX tickets_title_trgm ON tickets USING gin (lower(title) gin_trgm_ops);

-- One row per (ticket, level, assignee). `awaiting` is true exactly while the ticket is
-- pending, the level is the current one and this assignee has not decided: the inbox.
CREATE TABLE ticket_assignees (
    ticket_id  uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    level      smallint NOT NULL,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    decision   text NOT NULL CHECK (decision IN ('pending', 'approved', 'rejected')),
    decided_at timestamptz,
    awaiting   boolean NOT NULL,
    PRIMARY KEY (ticket_id, level, user_id)
);
CREATE INDEX ticket_assignees_inbox ON ticket_assignees (user_id, ticket_id) WHERE awaiting;
CREATE INDEX ticket_assignees_user ON ticket_assignees (user_id, ticket_id);
CREATE INDEX ticket_assignees_processed ON ticket_assignees (user_id, decided_at DESC) WHERE decided_at IS NOT NULL;

CREATE TABLE ticket_cc (
    ticket_id uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_cc_user ON ticket_cc (user_id, ticket_id);

-- Everything that happens to a ticket, append only.
CREATE TABLE ticket_events (
    id        bigserial PRIMARY KEY,
    ticket_id uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    kind      text NOT NULL,
    actor_id  uuid REFERENCES users ON DELETE SET NULL,
    level     smallint,
    comment   text,
    diff      jsonb,
    at        timestamptz NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_comments (
    id         uuid PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, created_at);

-- An asset permission made from an approved apply_asset ticket. Its id is the ticket's id,
-- so it cannot be made twice.
CREATE TABLE grants (
    id              uuid PRIMARY KEY REFERENCES tickets ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    permission_name text NOT NULL,
    nodes           uuid[] NOT NULL,
    assets          uuid[] NOT NULL,
    accounts        text[] NOT NULL,
    actions         text[] NOT NULL,
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    revoked_by      uuid REFERENCES users ON DELETE SET NULL
);
CREATE INDEX grants_user ON grants (user_id, valid_until DESC);
CREATE INDEX grants_org ON grants (org_id, created_at DESC);

-- Personal API tokens (bearer) for scripts; only a digest is kept.
CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
