-- A grant's holder is told some hours before it ends (the `grant_ending_notice_hours` setting,
-- jobs/timers.rs): when they were, so it happens once.
ALTER TABLE grants ADD COLUMN ending_told_at timestamptz;
CREATE INDEX grants_ending ON grants (valid_until)
    WHERE revoked_at IS NULL AND ending_told_at IS NULL;
