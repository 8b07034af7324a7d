-- Out of office (core/src/delegation.rs): someone away names a delegate for a period. While it
-- runs the delegate is asked wherever the person would be: on tickets opened meanwhile, and,
-- when it starts (`applied_at` says it was done), on the tickets already waiting on them.
CREATE TABLE delegations (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    delegate_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_by  uuid REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    CHECK (ends_at > starts_at),
    CHECK (user_id <> delegate_id)
);
CREATE INDEX delegations_user ON delegations (user_id, ends_at);
CREATE INDEX delegations_delegate ON delegations (delegate_id, ends_at);
CREATE INDEX delegations_to_apply ON delegations (starts_at) WHERE applied_at IS NULL;

-- A decision a delegate gave for someone away: whom it was for.
ALTER TABLE ticket_events ADD COLUMN on_behalf_of uuid REFERENCES users;
