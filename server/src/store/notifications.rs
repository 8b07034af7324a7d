//! In-app notifications (`notifications`) as their person reads them: pages, counts, read
//! marks. They are written with their ticket event ([`crate::store::outbox::record`]); the
//! mail columns of the same rows are the mail queue ([`crate::store::queue`]).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// One notification as its person sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, ticket_id, kind, title, body, link, created_at, read_at";

/// A page of the user's notifications (only the unread ones if asked), newest first.
pub async fn page(
    db: impl PgExecutor<'_>,
    user: Uuid,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<NotificationRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE user_id = $1 AND ($2 = false OR read_at IS NULL)
         ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
    )))
    .bind(user)
    .bind(unread_only)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?)
}

/// How many of the user's notifications the list holds (every one, or only the unread ones
/// if asked), and how many are unread.
pub async fn counts(
    db: impl PgExecutor<'_>,
    user: Uuid,
    unread_only: bool,
) -> Result<(i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE $2 = false OR read_at IS NULL),
                count(*) FILTER (WHERE read_at IS NULL)
         FROM notifications WHERE user_id = $1",
    )
    .bind(user)
    .bind(unread_only)
    .fetch_one(db)
    .await?)
}

/// How many of the user's notifications are unread.
pub async fn unread(db: impl PgExecutor<'_>, user: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user)
    .fetch_one(db)
    .await?)
}

/// Marks one of the user's notifications read (keeping when it first was); `None` when the
/// user has no such notification.
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    user: Uuid,
    id: Uuid,
) -> Result<Option<NotificationRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
         WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(user)
    .fetch_optional(db)
    .await?)
}

/// Marks every unread notification of the user read (only a ticket's, if given); returns how
/// many.
pub async fn mark_all_read(
    db: impl PgExecutor<'_>,
    user: Uuid,
    ticket: Option<Uuid>,
) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "UPDATE notifications SET read_at = now()
         WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR ticket_id = $2)",
    )
    .bind(user)
    .bind(ticket)
    .execute(db)
    .await?
    .rows_affected())
}
