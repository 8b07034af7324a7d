-- `ticket_events (at)` was made for the audit export (migration 0005), which came to select
-- tickets by their opening time and join their events by ticket (`ticket_events_ticket`); no
-- query reads events by time. Every event paid for an entry in it (43 MB at the bench's
-- million tickets, never scanned).
DROP INDEX IF EXISTS ticket_events_at;
