//! Orgs as the administration sees them: with their root node and counts, renamed, deleted,
//! and locked while an import writes into one.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

use super::directory::ORG_NAME_KEY as NAME_KEY;
use super::errors::{taken, ResultExt};

/// An org with its root node and how many members and assets it has.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub root: Option<Uuid>,
    pub members: i64,
    pub assets: i64,
    pub created_at: DateTime<Utc>,
}

const ORG_SELECT: &str = "SELECT o.id, o.name,
        (SELECT id FROM nodes WHERE org_id = o.id AND parent_id IS NULL) AS root,
        (SELECT count(*) FROM memberships WHERE org_id = o.id) AS members,
        (SELECT count(*) FROM assets WHERE org_id = o.id) AS assets,
        o.created_at
    FROM orgs o";

/// Every org when `all`, else those of `ids`, by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    all: bool,
    ids: &[Uuid],
) -> Result<Vec<OrgRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ORG_SELECT} WHERE $1 OR o.id = ANY($2) ORDER BY lower(o.name)"
    )))
    .bind(all)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<OrgRow>, AppError> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{ORG_SELECT} WHERE o.id = $1")))
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Renames the org (its root node keeps the same name: `estate::rename_root`); a name in use
/// is a 409 on `name`.
pub async fn rename(db: impl PgExecutor<'_>, id: Uuid, name: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE orgs SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(db)
        .await
        .on_constraint(NAME_KEY, |_| taken("Org", name, "name"))?;
    Ok(())
}

/// How many tickets the org has (their history keeps an org from being deleted).
pub async fn ticket_count(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM tickets WHERE org_id = $1")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// Deletes the org (its node tree first: `estate::delete_tree`).
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM orgs WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Holds the org's row until the transaction ends: two imports into one org run one after
/// the other.
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
