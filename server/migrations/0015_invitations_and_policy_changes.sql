-- Security review: nobody chooses or learns another person's password, and an org admin
-- cannot pull a stranger into their org (and so read their details) without their consent.

-- A person made by an org admin has no password yet: a one-time link, mailed to them, lets
-- them choose it. Only a digest of the link's token is kept.
CREATE TABLE password_setups (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    created_by uuid REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_setups_user ON password_setups (user_id);

-- An org admin's invitation of an existing person who is not a member yet: the membership
-- exists only once the person accepts.
CREATE TABLE org_invitations (
    org_id     uuid NOT NULL REFERENCES orgs ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('org_admin', 'org_auditor', 'org_user')),
    invited_by uuid REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_invitations_user ON org_invitations (user_id);

-- Four eyes on policy: a flow or ACL change by someone who is not a super admin is a ticket
-- of its own type, and takes effect only when a super admin (not its author) approves it.
ALTER TABLE tickets DROP CONSTRAINT tickets_ticket_type_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_ticket_type_check CHECK (ticket_type IN
    ('apply_asset', 'login_confirm', 'login_asset_confirm', 'command_confirm', 'policy_change'));
