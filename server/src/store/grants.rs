//! Grants: asset permissions made from approved tickets.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::dto::{GrantCheck, GrantDto, Page, Person};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{ApplyAssetRequest, OrgRole, Ticket};
use uuid::Uuid;

/// Writes the grant of an approved ticket; its id is the ticket's, so a second write is a no-op.
pub async fn insert_from_ticket(
    db: &mut PgConnection,
    t: &Ticket,
    org: Uuid,
    r: &ApplyAssetRequest,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO grants (id, org_id, user_id, permission_name, nodes, assets, accounts, actions, valid_from, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(t.id)
    .bind(org)
    .bind(t.applicant.id)
    .bind(r.permission_name.as_str())
    .bind(&r.nodes)
    .bind(&r.assets)
    .bind(r.accounts.iter().map(|a| a.as_str().to_string()).collect::<Vec<_>>())
    .bind(r.actions.names())
    .bind(r.window.start())
    .bind(r.window.expiry())
    .execute(db)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: Uuid,
    serial: String,
    org_id: Uuid,
    org_name: String,
    user_id: Uuid,
    username: String,
    display_name: String,
    permission_name: String,
    nodes: Vec<Uuid>,
    assets: Vec<Uuid>,
    accounts: Vec<String>,
    actions: Vec<String>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    node_names: Vec<String>,
    asset_names: Vec<String>,
    total: i64,
}

const SELECT: &str = "SELECT g.id, t.serial, g.org_id, o.name AS org_name, g.user_id, u.username, u.display_name,
        g.permission_name, g.nodes, g.assets, g.accounts, g.actions, g.valid_from, g.valid_until, g.revoked_at,
        ARRAY(SELECT COALESCE(n.name, '(deleted node)') FROM unnest(g.nodes) WITH ORDINALITY x(id, i)
              LEFT JOIN nodes n ON n.id = x.id ORDER BY x.i) AS node_names,
        ARRAY(SELECT COALESCE(a.name, '(deleted asset)') FROM unnest(g.assets) WITH ORDINALITY x(id, i)
              LEFT JOIN assets a ON a.id = x.id ORDER BY x.i) AS asset_names,
        count(*) OVER () AS total
    FROM grants g JOIN tickets t ON t.id = g.id JOIN orgs o ON o.id = g.org_id JOIN users u ON u.id = g.user_id";

fn to_dto(r: GrantRow, now: DateTime<Utc>) -> GrantDto {
    let status = if r.revoked_at.is_some() {
        "revoked"
    } else if now >= r.valid_until {
        "expired"
    } else if now < r.valid_from {
        "scheduled"
    } else {
        "active"
    };
    GrantDto {
        id: r.id,
        ticket_id: r.id,
        ticket_serial: r.serial,
        org_id: r.org_id,
        org_name: r.org_name,
        user: Person {
            id: r.user_id,
            username: r.username,
            display_name: r.display_name,
        },
        permission_name: r.permission_name,
        nodes: super::named(r.nodes, r.node_names),
        assets: super::named(r.assets, r.asset_names),
        accounts: r.accounts,
        actions: r.actions,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        revoked_at: r.revoked_at,
        status: status.to_string(),
        can_revoke: false,
    }
}

/// Orgs whose grants the viewer oversees (admin or auditor).
fn overseen(viewer: &Viewer) -> Vec<Uuid> {
    viewer
        .orgs
        .iter()
        .filter(|m| matches!(m.role, OrgRole::OrgAdmin | OrgRole::OrgAuditor))
        .map(|m| m.org_id)
        .collect()
}

/// Grants the viewer may see: their own, or (not `mine`) also those of orgs they oversee.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    viewer: &Viewer,
    mine: bool,
    page: u32,
) -> Result<Page<GrantDto>, AppError> {
    let per_page = 50u32;
    let page = page.max(1);
    let sql = format!(
        "{SELECT} WHERE g.user_id = $1 OR (NOT $2 AND ($3 OR g.org_id = ANY($4)))
         ORDER BY g.created_at DESC LIMIT $5 OFFSET $6"
    );
    let query = |limit: i64, offset: i64| {
        sqlx::query_as::<_, GrantRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(viewer.id)
            .bind(mine)
            .bind(viewer.is_super_admin())
            .bind(overseen(viewer))
            .bind(limit)
            .bind(offset)
    };
    // In i64: a page number near u32::MAX times 50 does not fit in a u32.
    let rows: Vec<GrantRow> = query(per_page as i64, (page as i64 - 1) * per_page as i64)
        .fetch_all(db)
        .await?;
    let total = match rows.first() {
        Some(r) => r.total,
        // Past the last page the page is empty, but the total is still the total.
        None if page > 1 => query(1, 0)
            .fetch_optional(db)
            .await?
            .map(|r| r.total)
            .unwrap_or(0),
        None => 0,
    };
    let now = Utc::now();
    Ok(Page {
        items: rows.into_iter().map(|r| to_dto(r, now)).collect(),
        total,
        total_capped: false,
        page,
        per_page,
    })
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<GrantDto>, AppError> {
    let row: Option<GrantRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.id = $1")))
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|r| to_dto(r, Utc::now())))
}

/// Revokes grant `id` at `now` unless it is revoked or over already (the caller writes the
/// ticket's history). True when it was live or scheduled.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE grants SET revoked_at = $3, revoked_by = $2
         WHERE id = $1 AND revoked_at IS NULL AND valid_until > $3",
    )
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// Revokes every live (or future) grant of `user` — in `org` only when given — recording
/// `grant_revoked` with `reason` on each grant's ticket, by `by` (None: Tollgate itself, as the
/// directory sync and the group mappings do). Returns how many were revoked.
pub async fn revoke_all_of_user(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    by: Option<Uuid>,
    reason: &str,
) -> Result<u64, AppError> {
    revoke_where(db, user, None, by, reason).await
}

/// [`revoke_all_of_user`] for the grants of one org (the person left it).
pub async fn revoke_in_org(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    org: Uuid,
    by: Option<Uuid>,
    reason: &str,
) -> Result<u64, AppError> {
    revoke_where(db, user, Some(org), by, reason).await
}

async fn revoke_where(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    org: Option<Uuid>,
    by: Option<Uuid>,
    reason: &str,
) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "WITH r AS (
            UPDATE grants SET revoked_at = now(), revoked_by = $3
             WHERE user_id = $1 AND ($2::uuid IS NULL OR org_id = $2)
               AND revoked_at IS NULL AND valid_until > now()
            RETURNING id)
         INSERT INTO ticket_events (ticket_id, kind, actor_id, comment, at)
         SELECT id, 'grant_revoked', $3, $4, now() FROM r",
    )
    .bind(user)
    .bind(org)
    .bind(by)
    .bind(reason)
    .execute(&mut *db)
    .await?
    .rows_affected())
}

/// May `user` use `account` on `asset` for `action` right now? Against live grants only:
/// not revoked, inside their window, naming the asset or a node above it, the account (or
/// `@ALL`) and the action (or `all`), held by an active person who is still a member of the
/// grant's org (deactivation and leaving the org also revoke, but the check does not rely
/// on that having happened).
pub async fn check(
    db: impl PgExecutor<'_>,
    user: Uuid,
    asset: Uuid,
    account: &str,
    action: &str,
) -> Result<GrantCheck, AppError> {
    let row: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
        "WITH RECURSIVE above AS (
            SELECT n.id, n.parent_id FROM nodes n JOIN asset_nodes an ON an.node_id = n.id WHERE an.asset_id = $2
            UNION
            SELECT p.id, p.parent_id FROM nodes p JOIN above ON above.parent_id = p.id
         )
         SELECT g.id, g.valid_until FROM grants g
         WHERE g.user_id = $1 AND g.revoked_at IS NULL AND g.valid_from <= now() AND g.valid_until > now()
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = g.user_id AND u.active)
           AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = g.user_id AND m.org_id = g.org_id)
           AND ($2 = ANY(g.assets) OR g.nodes && ARRAY(SELECT id FROM above))
           AND ('@ALL' = ANY(g.accounts) OR lower($3) = ANY(SELECT lower(x) FROM unnest(g.accounts) x))
           AND ('all' = ANY(g.actions) OR $4 = ANY(g.actions))
         ORDER BY g.valid_until DESC LIMIT 1",
    )
    .bind(user)
    .bind(asset)
    .bind(account)
    .bind(action)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((id, until)) => GrantCheck {
            allowed: true,
            grant_id: Some(id),
            valid_until: Some(until),
        },
        None => GrantCheck {
            allowed: false,
            grant_id: None,
            valid_until: None,
        },
    })
}

/// Tells the holders of up to `limit` live grants that end after `now` and by `until`, not told
/// yet: each gets one notification (kind `grant_ending`, mailed when they have an address) whose
/// link opens a new request prefilled from the grant's ticket, and the grant is marked told.
/// Grants another transaction holds are left to the next round. Returns how many were told.
pub async fn tell_ending(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<u64, AppError> {
    let r = sqlx::query(
        "WITH ending AS (
           UPDATE grants g SET ending_told_at = $1
           WHERE g.id IN (SELECT id FROM grants
                          WHERE revoked_at IS NULL AND ending_told_at IS NULL
                            AND valid_until > $1 AND valid_until <= $2
                          ORDER BY valid_until LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING g.id, g.user_id, g.permission_name, g.valid_until)
         INSERT INTO notifications (id, user_id, ticket_id, kind, title, body, link, mail_to)
         SELECT gen_random_uuid(), e.user_id, e.id, 'grant_ending',
                'Your access \"' || e.permission_name || '\" ends soon',
                t.serial || ' · ' || t.title || ': access ends at '
                  || to_char(e.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC. '
                  || 'Request it again to keep it.',
                '/tickets/new?again=' || e.id,
                CASE WHEN u.active THEN nullif(trim(u.email), '') END
           FROM ending e JOIN tickets t ON t.id = e.id JOIN users u ON u.id = e.user_id",
    )
    .bind(now)
    .bind(until)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
