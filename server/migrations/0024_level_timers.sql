-- Level timers (reminders, escalation, a timed end; core/src/timers.rs): when the current
-- level of a pending ticket next has a timer due. The store keeps the row whenever it writes
-- a ticket that has one; the timer sweep (jobs/timers.rs) reads the due ones.
CREATE TABLE ticket_timers (
    ticket_id uuid PRIMARY KEY REFERENCES tickets ON DELETE CASCADE,
    due_at    timestamptz NOT NULL
);
CREATE INDEX ticket_timers_due ON ticket_timers (due_at);
