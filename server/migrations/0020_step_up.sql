-- Step-up at the moment of decision (issue 23): how a decision at a level that asks for a fresh
-- second factor got it, and API tokens made "for approvals" with a second factor.
ALTER TABLE ticket_events ADD COLUMN step_up text
    CHECK (step_up IN ('totp', 'recovery_code', 'session', 'token'));
ALTER TABLE api_tokens ADD COLUMN for_approvals boolean NOT NULL DEFAULT false;
