-- A connection or command rule in `review` may let an approval answer the same question again
-- for some minutes (core's `reuse_minutes`): the gateway looks for the person's latest approved
-- confirm ticket of that kind, by when it was approved.
CREATE INDEX tickets_recent_confirms ON tickets (applicant_id, ticket_type, updated_at DESC)
    WHERE state = 'approved' AND ticket_type IN ('login_asset_confirm', 'command_confirm');
