//! Webhooks (`webhooks`): the receivers of ticket events, with their HMAC secrets. Their
//! deliveries are outbox rows ([`crate::store::outbox`]).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// A webhook without its secret.
#[derive(Debug, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A change to a webhook: the fields given replace the stored ones.
#[derive(Debug, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

const COLUMNS: &str = "id, url, description, active, created_at";

/// Every webhook, oldest first.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<WebhookRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id"
    )))
    .fetch_all(db)
    .await?)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<WebhookRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhooks WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Stores a new webhook.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    url: &str,
    secret: &str,
    description: &str,
    active: bool,
    created_by: Uuid,
) -> Result<WebhookRow, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhooks (id, url, secret, description, active, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(url)
    .bind(secret)
    .bind(description)
    .bind(active)
    .bind(created_by)
    .fetch_one(db)
    .await?)
}

/// Changes a webhook; `None` when there is none with this id.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    change: WebhookChange,
) -> Result<Option<WebhookRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE webhooks SET url = coalesce($2, url), secret = coalesce($3, secret),
            description = coalesce($4, description), active = coalesce($5, active)
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(change.url)
    .bind(change.secret)
    .bind(change.description)
    .bind(change.active)
    .fetch_optional(db)
    .await?)
}

/// Removes a webhook (its undelivered messages go with it); false when there was none.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?
        .rows_affected()
        != 0)
}
