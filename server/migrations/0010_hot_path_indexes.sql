-- Found by profiling the bench (pg_stat_statements at 1,000,000 tickets, 10,000 users):

-- Opening a ticket resolves its approvers: the named users, every super admin and the org's
-- admins. Each part now reads an index (the OR over the three scanned every user: 11.8 ms).
CREATE INDEX users_super_admins ON users (id) WHERE system_role = 'super_admin';
CREATE INDEX memberships_org_admins ON memberships (org_id, user_id) WHERE role = 'org_admin';

-- Ticket search by words: the ASCII letters and digits of the title, split at everything
-- else, lower-cased. The trigram index stays for substring search in other scripts.
-- Without fastupdate: with it, new tickets wait in the index's pending list, which every
-- search reads through (23,000 pending entries after the bench's openings made a 2 ms search
-- take 10 ms). The trigram index gets the same.
CREATE INDEX tickets_title_words ON tickets
    USING gin (to_tsvector('simple', lower(regexp_replace(title, '[^a-zA-Z0-9]+', ' ', 'g'))))
    WITH (fastupdate = off);
ALTER INDEX tickets_title_trgm SET (fastupdate = off);
SELECT gin_clean_pending_list('tickets_title_trgm'::regclass);

-- "Does any asset of this org have an account named X?" is asked by every opening. Through
-- the asset, Postgres scanned all the org's assets (7–12 ms at 20,000 assets); the account
-- now carries its asset's org (filled by a trigger, so every writer keeps it true; assets
-- never change org), and the question is one index probe.
ALTER TABLE accounts ADD COLUMN org_id uuid;
UPDATE accounts ac SET org_id = a.org_id FROM assets a WHERE a.id = ac.asset_id;
ALTER TABLE accounts ALTER COLUMN org_id SET NOT NULL;
CREATE FUNCTION accounts_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.org_id := (SELECT org_id FROM assets WHERE id = NEW.asset_id);
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_org BEFORE INSERT OR UPDATE OF asset_id ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_org();
CREATE INDEX accounts_org_name ON accounts (org_id, lower(name));

-- The inbox is read off ticket_assignees_inbox_recent (migration 0006), which also serves
-- "which tickets wait for this user"; the older partial index only cost every decision a write.
DROP INDEX ticket_assignees_inbox;
