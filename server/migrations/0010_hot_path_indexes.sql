-- Found by profiling the bench (pg_stat_statements at 1,000,000 tickets, 10,000 users):

-- Opening a ticket resolves its approvers: the named users, every super admin and the org's
-- admins. Each part now reads an index (the OR over the three scanned every user: 11.8 ms).
CREATE INDEX users_super_admins ON users (id) WHERE system_role = 'super_admin';
CREATE INDEX memberships_org_admins ON memberships (org_id, user_id) WHERE role = 'org_admin';

-- "Does any asset of this org have an account named X?" (9.5 ms without it).
CREATE INDEX accounts_name ON accounts (lower(name));

-- Ticket search by words: the ASCII letters and digits of the title, split at everything
-- else, lower-cased. The trigram index stays for substring search in other scripts.
CREATE INDEX tickets_title_words ON tickets
    USING gin (to_tsvector('simple', lower(regexp_replace(title, '[^a-zA-Z0-9]+', ' ', 'g'))));
