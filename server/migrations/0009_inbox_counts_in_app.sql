-- The inbox counters are kept by the application from now on, not by statement triggers.
-- The triggers locked counter rows in two phases per change (the DELETE's users, then the
-- INSERT's), so two approvals whose users crossed could deadlock. The application now
-- writes one net change per transaction, in user order, as its last statement before the
-- commit: concurrent changes take the counters in the same order and hold them briefly.

DROP TRIGGER inbox_counts_ins ON ticket_assignees;
DROP TRIGGER inbox_counts_del ON ticket_assignees;
DROP TRIGGER inbox_counts_upd ON ticket_assignees;
DROP FUNCTION inbox_counts_after_insert();
DROP FUNCTION inbox_counts_after_delete();
DROP FUNCTION inbox_counts_after_update();

-- Start from the truth.
DELETE FROM inbox_counts;
INSERT INTO inbox_counts (user_id, waiting)
SELECT user_id, count(*) FROM ticket_assignees WHERE awaiting GROUP BY user_id;
