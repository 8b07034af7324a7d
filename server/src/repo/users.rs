//! Users and their memberships.

use sqlx::{PgExecutor, PgPool};
use tollgate_app::model::{Membership, Viewer};
use tollgate_app::AppError;
use tollgate_core::{OrgRole, SystemRole};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub system_role: String,
    pub active: bool,
}

pub fn parse_system_role(s: &str) -> SystemRole {
    if s == "super_admin" {
        SystemRole::SuperAdmin
    } else {
        SystemRole::User
    }
}

pub fn system_role_str(r: SystemRole) -> &'static str {
    match r {
        SystemRole::SuperAdmin => "super_admin",
        SystemRole::User => "user",
    }
}

pub fn parse_org_role(s: &str) -> OrgRole {
    match s {
        "org_admin" => OrgRole::OrgAdmin,
        "org_auditor" => OrgRole::OrgAuditor,
        _ => OrgRole::OrgUser,
    }
}

pub fn org_role_str(r: OrgRole) -> &'static str {
    match r {
        OrgRole::OrgAdmin => "org_admin",
        OrgRole::OrgAuditor => "org_auditor",
        OrgRole::OrgUser => "org_user",
    }
}

pub async fn by_username(pool: &PgPool, username: &str) -> Result<Option<UserRow>, AppError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, username, display_name, email, password_hash, system_role, active
         FROM users WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?)
}

/// The signed-in view of a user, with their orgs.
pub async fn viewer(pool: &PgPool, id: Uuid) -> Result<Option<Viewer>, AppError> {
    viewer_where(pool, "u.id = $1", id).await
}

/// The signed-in view of the active user behind a live session (by its token's digest), in
/// one query: every request of a browser asks it.
pub async fn viewer_of_session(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<Viewer>, AppError> {
    viewer_where(
        pool,
        "u.id = (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > now())",
        token_hash,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct ViewerRow {
    id: Uuid,
    username: String,
    display_name: String,
    email: String,
    system_role: String,
    org_ids: Vec<Uuid>,
    org_names: Vec<String>,
    roles: Vec<String>,
}

async fn viewer_where<'a, T>(pool: &PgPool, cond: &str, bind: T) -> Result<Option<Viewer>, AppError>
where
    T: 'a + Send + sqlx::Encode<'a, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let Some(u) = sqlx::query_as::<_, ViewerRow>(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.username, u.display_name, u.email, u.system_role,
                COALESCE(array_agg(o.id ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS org_ids,
                COALESCE(array_agg(o.name ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS org_names,
                COALESCE(array_agg(m.role ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS roles
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id
         LEFT JOIN orgs o ON o.id = m.org_id
         WHERE {cond} AND u.active
         GROUP BY u.id"
    )))
    .bind(bind)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        system_role: parse_system_role(&u.system_role),
        orgs: u
            .org_ids
            .into_iter()
            .zip(u.org_names)
            .zip(u.roles)
            .map(|((org_id, org_name), role)| Membership {
                org_id,
                org_name,
                role: parse_org_role(&role),
            })
            .collect(),
    }))
}

/// A new user to write.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub system_role: SystemRole,
}

pub async fn insert(db: impl PgExecutor<'_>, u: &NewUser<'_>) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, system_role)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(system_role_str(u.system_role))
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn add_membership(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(org_role_str(role))
    .execute(db)
    .await?;
    Ok(())
}

// ---- sign-in failures (ratelimit.rs) ----

/// Serialises the sign-in attempts of one username and of one client address until the
/// transaction ends (two attempts of different usernames from one address take the locks in
/// the same order, username first, so they cannot deadlock).
pub async fn lock_sign_in_keys(
    db: &mut sqlx::PgConnection,
    username_key: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('sign_in:user:' || $1, 0)),
                pg_advisory_xact_lock(hashtextextended('sign_in:ip:' || coalesce($2, ''), 0))",
    )
    .bind(username_key)
    .bind(ip.map(|ip| ip.to_string()))
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Records a failed (or not yet known good) sign-in and forgets failures older than the window.
pub async fn insert_sign_in_failure(
    db: &mut sqlx::PgConnection,
    username_key: &str,
    ip: Option<std::net::IpAddr>,
    window_seconds: f64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "WITH old AS (DELETE FROM sign_in_failures WHERE at < now() - make_interval(secs => $3))
         INSERT INTO sign_in_failures (username, ip) VALUES ($1, $2) RETURNING id",
    )
    .bind(username_key)
    .bind(ip.map(|ip| ip.to_string()))
    .bind(window_seconds)
    .fetch_one(&mut *db)
    .await?)
}

/// Takes back the failure recorded for an attempt that turned out to be right.
pub async fn forget_sign_in_failure(pool: &PgPool, id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of `user` but the one whose token is `keep` (if any), and revokes every
/// API token of theirs: what changing one's own password or email does.
pub async fn end_other_sessions(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    keep: Option<&str>,
) -> Result<(), AppError> {
    let keep = keep.map(crate::session::digest);
    sqlx::query(
        "WITH s AS (DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2))
         UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .bind(keep)
    .execute(&mut *db)
    .await?;
    Ok(())
}
