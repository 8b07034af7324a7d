-- Tollgate at scale: 10,000 users, 3 orgs, 20,000 assets (40,000 accounts), 1,000,000 tickets
-- in a realistic mix of states and levels, with their assignees and events. Generated inside
-- Postgres (INSERT … SELECT generate_series), which writes as fast as COPY without shipping
-- the rows over the wire. :password_hash is a hash shared by every bench user.
-- Ids are md5-derived, so every run builds the same estate.

SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

-- The big tables' secondary indexes are dropped while they fill and built afresh at the end:
-- one sorted build is much faster than a million single inserts (above all into the GIN
-- indexes on titles, which have fastupdate off). Indexes behind constraints stay.
CREATE TEMP TABLE seed_indexes AS
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema()
  AND i.tablename IN ('tickets', 'ticket_assignees', 'ticket_events', 'grants')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexname FROM seed_indexes LOOP EXECUTE format('DROP INDEX %I', r.indexname); END LOOP;
END $$;

INSERT INTO users (id, username, display_name, email, password_hash, system_role)
SELECT md5('u' || i)::uuid, 'user' || i, 'Bench User ' || i, 'user' || i || '@bench.example', :password_hash,
       CASE WHEN i = 1 THEN 'super_admin' ELSE 'user' END
FROM generate_series(1, 10000) i;

INSERT INTO orgs (id, name) SELECT md5('o' || o)::uuid, 'Bench Org ' || o FROM generate_series(1, 3) o;

-- user2..user4 administer org 1..3; user5 approves level 2 everywhere; the rest apply.
INSERT INTO memberships (org_id, user_id, role)
SELECT md5('o' || ((i % 3) + 1))::uuid, md5('u' || i)::uuid, 'org_user' FROM generate_series(5, 10000) i;
INSERT INTO memberships (org_id, user_id, role)
SELECT md5('o' || o)::uuid, md5('u' || (o + 1))::uuid, 'org_admin' FROM generate_series(1, 3) o;

INSERT INTO nodes (id, org_id, parent_id, name)
SELECT md5('n' || o)::uuid, md5('o' || o)::uuid, NULL, 'Bench Org ' || o FROM generate_series(1, 3) o;
INSERT INTO nodes (id, org_id, parent_id, name)
SELECT md5('n' || o || '-' || k)::uuid, md5('o' || o)::uuid, md5('n' || o)::uuid, 'group-' || k
FROM generate_series(1, 3) o, generate_series(1, 10) k;

INSERT INTO assets (id, org_id, name, address, platform)
SELECT md5('a' || i)::uuid, md5('o' || ((i % 3) + 1))::uuid, 'host-' || i,
       '10.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256),
       (ARRAY['linux', 'linux', 'linux', 'mysql', 'postgresql'])[(i % 5) + 1]
FROM generate_series(1, 20000) i;
INSERT INTO asset_nodes (asset_id, node_id)
SELECT md5('a' || i)::uuid, md5('n' || ((i % 3) + 1) || '-' || ((i / 3) % 10 + 1))::uuid
FROM generate_series(1, 20000) i;
INSERT INTO accounts (id, asset_id, name, username)
SELECT md5('ac' || i || '-' || k)::uuid, md5('a' || i)::uuid, n, n
FROM generate_series(1, 20000) i, unnest(ARRAY['root', 'deploy']) WITH ORDINALITY AS x(n, k);

-- Each org: level 1 its org admins, level 2 user5.
INSERT INTO flows (id, org_id, ticket_type, definition)
SELECT md5('f' || o)::uuid, md5('o' || o)::uuid, 'apply_asset',
       jsonb_build_object('levels', jsonb_build_array(
           jsonb_build_object('selector', jsonb_build_object('users', '[]'::jsonb, 'super_admins', false, 'org_admins', true), 'rule', 'any'),
           jsonb_build_object('selector', jsonb_build_object('users', jsonb_build_array(md5('u5')::uuid), 'super_admins', false, 'org_admins', false), 'rule', 'any')),
         'cc', '[]'::jsonb)
FROM generate_series(1, 3) o
ON CONFLICT (org_id, ticket_type) DO NOTHING;

-- 1,000,000 tickets: one in ten pending (half at each level), the rest approved, rejected,
-- withdrawn or expired. Applicants are user11..user10000 in their org.
CREATE TEMP TABLE t_seed AS
SELECT i,
       md5('t' || i)::uuid AS id,
       ((i % 9990) + 11) AS applicant,
       ((((i % 9990) + 11) % 3) + 1) AS org,
       now() - make_interval(secs => i * 0.9) AS created,
       CASE WHEN i % 10 = 0 THEN 'pending'
            WHEN i % 10 IN (1, 2, 3, 4, 5) THEN 'approved'
            WHEN i % 10 IN (6, 7) THEN 'rejected'
            WHEN i % 10 = 8 THEN 'closed'
            ELSE 'expired' END AS state,
       CASE WHEN i % 10 = 0 AND i % 20 = 0 THEN 2 WHEN i % 10 = 0 THEN 1
            WHEN i % 10 IN (1, 2, 3, 4, 5) THEN 2 ELSE 1 END AS level,
       ((i * 7) % 20000) + 1 AS asset
FROM generate_series(1, 1000000) i;

INSERT INTO tickets (id, serial, ticket_type, title, org_id, applicant_id, state, current_level,
                     request, steps, cc, comment, created_at, updated_at, expires_at)
SELECT s.id,
       to_char(s.created, 'YYYYMMDD') || lpad(s.i::text, 7, '0'),
       'apply_asset',
       (ARRAY['Debug', 'Deploy to', 'Inspect', 'Rotate keys on', 'Patch'])[(s.i % 5) + 1] || ' host-' || s.asset,
       md5('o' || s.org)::uuid, md5('u' || s.applicant)::uuid, s.state, s.level,
       jsonb_build_object('type', 'apply_asset', 'permission_name', 'bench-' || s.i, 'nodes', '[]'::jsonb,
                          'assets', jsonb_build_array(md5('a' || s.asset)::uuid), 'accounts', '["root"]'::jsonb,
                          'actions', '["connect"]'::jsonb, 'start', s.created, 'expiry', s.created + interval '7 days'),
       jsonb_build_array(
           jsonb_build_object('level', 1, 'rule', 'any',
               'state', CASE WHEN s.state = 'pending' AND s.level = 1 THEN 'active'
                             WHEN s.state = 'rejected' AND s.level = 1 THEN 'rejected'
                             WHEN s.state IN ('closed', 'expired') AND s.level = 1 THEN 'closed' ELSE 'done' END,
               'assignees', jsonb_build_array(jsonb_build_object('user_id', md5('u' || (s.org + 1))::uuid, 'username', 'user' || (s.org + 1),
                   'decision', CASE WHEN s.level = 2 OR s.state = 'approved' THEN 'approved' WHEN s.state = 'rejected' THEN 'rejected' ELSE 'pending' END,
                   'decided_at', CASE WHEN s.level = 2 OR s.state IN ('approved', 'rejected') THEN to_jsonb(s.created + interval '1 hour') ELSE 'null'::jsonb END))),
           jsonb_build_object('level', 2, 'rule', 'any',
               'state', CASE WHEN s.state = 'approved' THEN 'done' WHEN s.state = 'pending' AND s.level = 2 THEN 'active'
                             WHEN s.level = 2 AND s.state = 'rejected' THEN 'rejected'
                             WHEN s.level = 2 THEN 'closed' ELSE 'pending' END,
               'assignees', jsonb_build_array(jsonb_build_object('user_id', md5('u5')::uuid, 'username', 'user5',
                   'decision', CASE WHEN s.state = 'approved' THEN 'approved' ELSE 'pending' END,
                   'decided_at', CASE WHEN s.state = 'approved' THEN to_jsonb(s.created + interval '2 hours') ELSE 'null'::jsonb END)))),
       '[]'::jsonb, '', s.created, s.created + interval '2 hours',
       -- Pending tickets are not yet due (the expiry sweep would otherwise work through them
       -- while the figures are measured).
       CASE WHEN s.state = 'pending' THEN now() + interval '7 days' - (s.i % 1000) * interval '1 minute'
            ELSE s.created + interval '7 days' END
FROM t_seed s;

INSERT INTO ticket_assignees (ticket_id, created_at, level, user_id, decision, decided_at, awaiting)
SELECT s.id, s.created, 1, md5('u' || (s.org + 1))::uuid,
       CASE WHEN s.level = 2 OR s.state = 'approved' THEN 'approved' WHEN s.state = 'rejected' AND s.level = 1 THEN 'rejected' ELSE 'pending' END,
       CASE WHEN s.level = 2 OR s.state IN ('approved', 'rejected') THEN s.created + interval '1 hour' END,
       s.state = 'pending' AND s.level = 1
FROM t_seed s
UNION ALL
SELECT s.id, s.created, 2, md5('u5')::uuid,
       CASE WHEN s.state = 'approved' THEN 'approved' ELSE 'pending' END,
       CASE WHEN s.state = 'approved' THEN s.created + interval '2 hours' END,
       s.state = 'pending' AND s.level = 2
FROM t_seed s;

INSERT INTO ticket_events (ticket_id, kind, actor_id, level, at)
SELECT s.id, 'opened', md5('u' || s.applicant)::uuid, NULL, s.created FROM t_seed s
UNION ALL
SELECT s.id,
       CASE s.state WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' WHEN 'closed' THEN 'withdrawn'
                    WHEN 'expired' THEN 'expired' ELSE 'approved' END,
       CASE WHEN s.state IN ('expired') THEN NULL WHEN s.state = 'closed' THEN md5('u' || s.applicant)::uuid
            ELSE md5('u' || (s.org + 1))::uuid END,
       1, s.created + interval '1 hour'
FROM t_seed s WHERE s.state <> 'pending' OR s.level = 2;

-- The expiry sweep's list of pending tickets (migration 0011).
INSERT INTO pending_expiry (ticket_id, expires_at)
SELECT id, expires_at FROM tickets WHERE state = 'pending';

-- The per-user inbox counters (kept by the application for every change it makes).
INSERT INTO inbox_counts (user_id, waiting)
SELECT user_id, count(*) FROM ticket_assignees WHERE awaiting GROUP BY user_id
ON CONFLICT (user_id) DO UPDATE SET waiting = EXCLUDED.waiting;

INSERT INTO grants (id, org_id, user_id, permission_name, nodes, assets, accounts, actions, valid_from, valid_until)
SELECT s.id, md5('o' || s.org)::uuid, md5('u' || s.applicant)::uuid, 'bench-' || s.i, '{}',
       ARRAY[md5('a' || s.asset)::uuid], ARRAY['root'], ARRAY['connect'], s.created, s.created + interval '7 days'
FROM t_seed s WHERE s.state = 'approved';

DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexdef FROM seed_indexes LOOP EXECUTE r.indexdef; END LOOP;
END $$;
-- The bench then runs VACUUM (ANALYZE), which cannot run inside this script's transaction.
