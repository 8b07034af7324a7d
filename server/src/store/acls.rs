//! ACLs: the three kinds of rule (login, login-asset, command filter) in one table, each rule
//! stored as core serializes it, with copies of its name, priority, active flag, action and
//! org beside it for lists and ordering; and the notice that tells every instance they changed.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use uuid::Uuid;

/// A stored rule with its org's name.
#[derive(sqlx::FromRow)]
pub struct AclRow {
    pub id: Uuid,
    pub kind: String,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub rule: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT a.id, a.kind, a.org_id, o.name AS org_name, a.rule, a.created_at, a.updated_at
     FROM acls a LEFT JOIN orgs o ON o.id = a.org_id";

/// The rules of `kind`, in the orgs `orgs` (None: every org and the global ones), narrowed to
/// `org` when given; by org name (global first), then decision order (priority, then id).
pub async fn list(
    db: impl PgExecutor<'_>,
    kind: &str,
    orgs: Option<Vec<Uuid>>,
    org: Option<Uuid>,
) -> Result<Vec<AclRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.kind = $1 AND ($2::uuid[] IS NULL OR a.org_id = ANY($2))
           AND ($3::uuid IS NULL OR a.org_id = $3)
         ORDER BY o.name NULLS FIRST, a.priority, a.id"
    )))
    .bind(kind)
    .bind(orgs)
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// The rule `id` of `kind`.
pub async fn get(db: impl PgExecutor<'_>, kind: &str, id: Uuid) -> Result<Vec<AclRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.kind = $1 AND a.id = $2"
    )))
    .bind(kind)
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// Locks the rule `id` of `kind` for a change; None when there is none.
pub async fn lock(db: impl PgExecutor<'_>, kind: &str, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM acls WHERE id = $1 AND kind = $2 FOR UPDATE")
            .bind(id)
            .bind(kind)
            .fetch_optional(db)
            .await?,
    )
}

/// A rule as written: its columns and the rule as core serializes it.
pub struct NewAcl<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub org_id: Option<Uuid>,
    pub name: &'a str,
    pub priority: i32,
    pub active: bool,
    pub action: &'a str,
    pub rule: serde_json::Value,
}

/// Stores a new rule (`insert`) or replaces the rule `a.id` of `a.kind`.
pub async fn write(db: impl PgExecutor<'_>, a: NewAcl<'_>, insert: bool) -> Result<(), AppError> {
    let sql = if insert {
        "INSERT INTO acls (id, kind, org_id, name, priority, active, action, rule)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE acls SET org_id = $3, name = $4, priority = $5, active = $6, action = $7,
                rule = $8, updated_at = now()
         WHERE id = $1 AND kind = $2"
    };
    sqlx::query(sql)
        .bind(a.id)
        .bind(a.kind)
        .bind(a.org_id)
        .bind(a.name)
        .bind(a.priority)
        .bind(a.active)
        .bind(a.action)
        .bind(a.rule)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the rule `id` of `kind`.
pub async fn delete(db: impl PgExecutor<'_>, kind: &str, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM acls WHERE id = $1 AND kind = $2")
        .bind(id)
        .bind(kind)
        .execute(db)
        .await?;
    Ok(())
}

/// Tells every instance, on `channel` (after commit), that ACLs changed.
pub async fn announce_change(db: &mut PgConnection, channel: &str) -> Result<(), AppError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(channel)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// The stored (JSON) active rules of `kind` for `org` (None: the global ones).
pub async fn active_rules(
    db: impl PgExecutor<'_>,
    kind: &str,
    org: Option<Uuid>,
) -> Result<Vec<serde_json::Value>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT rule FROM acls WHERE kind = $1 AND org_id IS NOT DISTINCT FROM $2 AND active",
    )
    .bind(kind)
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// A rule's name; None when it is gone.
pub async fn name_of(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT name FROM acls WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}
