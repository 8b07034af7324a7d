-- Being told (SPEC §7): settings, in-app notifications, the delivery outbox, webhooks and
-- the one-time links of assignee emails.

-- Installation-wide settings (shared with the admin settings page).
CREATE TABLE IF NOT EXISTS settings (key text PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), updated_by uuid REFERENCES users ON DELETE SET NULL);

-- What a person was told in the app. Written in the same transaction as the ticket event that
-- caused it, so it exists exactly when the event does.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    ticket_id  uuid REFERENCES tickets ON DELETE CASCADE,
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    -- For `awaiting`: the level whose decision is asked (the one-time links are bound to it).
    level      smallint,
    -- The same message by email, when SMTP is configured: the address when it was written
    -- (NULL: no email), and the delivery state, claimed with SKIP LOCKED and a lease like the
    -- outbox. The notification id is the Message-ID, so a resend after a crash is recognisable.
    mail_to         text,
    mail_attempts   integer NOT NULL DEFAULT 0,
    mail_visible_at timestamptz NOT NULL DEFAULT now(),
    mailed_at       timestamptz,
    mail_failed_at  timestamptz,
    mail_error      text
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_mail_due ON notifications (mail_visible_at)
    WHERE mail_to IS NOT NULL AND mailed_at IS NULL AND mail_failed_at IS NULL;

-- Receivers of a signed JSON POST per ticket event.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    url         text NOT NULL,
    secret      text NOT NULL,
    description text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid REFERENCES users ON DELETE SET NULL
);

-- Deliveries to the outside world (webhook POSTs, emails), written in the transaction of the
-- event. Workers of any instance claim due rows with FOR UPDATE SKIP LOCKED and push
-- `visible_at` forward as a lease; a worker that dies leaves the row to be claimed again when
-- the lease ends. The row id is the idempotency key sent with every attempt.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    channel      text NOT NULL CHECK (channel IN ('webhook', 'email')),
    webhook_id   uuid REFERENCES webhooks ON DELETE CASCADE,
    recipient    text,
    ticket_id    uuid REFERENCES tickets ON DELETE CASCADE,
    payload      jsonb NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    visible_at   timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    failed_at    timestamptz,
    last_error   text
);
CREATE INDEX outbox_due ON outbox (visible_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- One-time approve/reject links of assignee emails: only a SHA-256 digest of the token is kept.
CREATE TABLE email_links (
    token_hash text PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets ON DELETE CASCADE,
    level      smallint NOT NULL,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    action     text NOT NULL CHECK (action IN ('approve', 'reject')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
