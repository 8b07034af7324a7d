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
    let Some(u) = sqlx::query_as::<_, UserRow>(
        "SELECT id, username, display_name, email, password_hash, system_role, active
         FROM users WHERE id = $1 AND active",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let orgs: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = $1 ORDER BY o.name",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Some(Viewer {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        system_role: parse_system_role(&u.system_role),
        orgs: orgs
            .into_iter()
            .map(|(org_id, org_name, role)| Membership {
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
