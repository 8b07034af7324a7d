-- "Waiting for me" at scale: an approver with tens of thousands of waiting tickets must get
-- the newest page and the count in a few milliseconds. The inbox rows carry their ticket's
-- opening time (so the page is read straight off an index), and a per-user counter is kept
-- by statement-level triggers (so the badge needs no count over the rows).

ALTER TABLE ticket_assignees ADD COLUMN created_at timestamptz;
UPDATE ticket_assignees a SET created_at = t.created_at FROM tickets t WHERE t.id = a.ticket_id;
ALTER TABLE ticket_assignees ALTER COLUMN created_at SET NOT NULL;
CREATE INDEX ticket_assignees_inbox_recent ON ticket_assignees (user_id, created_at DESC, ticket_id) WHERE awaiting;

CREATE TABLE inbox_counts (
    user_id uuid PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    waiting integer NOT NULL DEFAULT 0
);
INSERT INTO inbox_counts (user_id, waiting)
SELECT user_id, count(*) FROM ticket_assignees WHERE awaiting GROUP BY user_id;

-- One upsert per statement; rows in user order, so concurrent transactions lock the counters
-- in the same order and cannot deadlock on them.
CREATE FUNCTION inbox_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox_counts (user_id, waiting)
    SELECT user_id, count(*) FROM new_rows WHERE awaiting GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET waiting = inbox_counts.waiting + EXCLUDED.waiting;
    RETURN NULL;
END $$;

CREATE FUNCTION inbox_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox_counts (user_id, waiting)
    SELECT user_id, -count(*) FROM old_rows WHERE awaiting GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET waiting = inbox_counts.waiting + EXCLUDED.waiting;
    RETURN NULL;
END $$;

CREATE FUNCTION inbox_counts_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox_counts (user_id, waiting)
    SELECT user_id, sum(d) FROM (
        SELECT user_id, 1 AS d FROM new_rows WHERE awaiting
        UNION ALL
        SELECT user_id, -1 FROM old_rows WHERE awaiting
    ) x GROUP BY user_id HAVING sum(d) <> 0 ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET waiting = inbox_counts.waiting + EXCLUDED.waiting;
    RETURN NULL;
END $$;

CREATE TRIGGER inbox_counts_ins AFTER INSERT ON ticket_assignees
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_after_insert();
CREATE TRIGGER inbox_counts_del AFTER DELETE ON ticket_assignees
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_after_delete();
CREATE TRIGGER inbox_counts_upd AFTER UPDATE ON ticket_assignees
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_after_update();
