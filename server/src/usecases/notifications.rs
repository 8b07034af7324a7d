//! In-app notifications of the signed-in person: list, unread count, mark read. They are
//! written by [`crate::usecases::outbox::enqueue`] in the transaction of the event that caused them.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tollgate_app::notifications::*;
use tollgate_app::AppError;
use uuid::Uuid;

/// Largest page.
pub const MAX_PER_PAGE: u32 = 100;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    ticket_id: Option<Uuid>,
    kind: String,
    title: String,
    body: String,
    link: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl From<Row> for NotificationDto {
    fn from(r: Row) -> Self {
        NotificationDto {
            id: r.id,
            ticket_id: r.ticket_id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            link: r.link,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

const COLUMNS: &str = "id, ticket_id, kind, title, body, link, created_at, read_at";

pub async fn list(
    pool: &PgPool,
    user: Uuid,
    unread_only: bool,
    page: u32,
    per_page: u32,
) -> Result<NotificationList, AppError> {
    if page == 0 {
        return Err(AppError::invalid("page", "pages start at 1"));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(
            "per_page",
            format!("per_page is 1 to {MAX_PER_PAGE}"),
        ));
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE user_id = $1 AND ($2 = false OR read_at IS NULL)
         ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
    )))
    .bind(user)
    .bind(unread_only)
    .bind(per_page as i64)
    .bind((page as i64 - 1) * per_page as i64)
    .fetch_all(pool)
    .await?;
    let (total, unread): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE $2 = false OR read_at IS NULL),
                count(*) FILTER (WHERE read_at IS NULL)
         FROM notifications WHERE user_id = $1",
    )
    .bind(user)
    .bind(unread_only)
    .fetch_one(pool)
    .await?;
    Ok(NotificationList {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
        unread,
    })
}

pub async fn unread(pool: &PgPool, user: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

/// Marks one of the caller's notifications read (404 for anyone else's).
pub async fn mark_read(pool: &PgPool, user: Uuid, id: Uuid) -> Result<NotificationDto, AppError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
         WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(user)
    .fetch_optional(pool)
    .await?;
    row.map(Into::into)
        .ok_or_else(|| AppError::not_found("Notification"))
}

/// Marks every unread notification of the caller read (optionally only a ticket's).
pub async fn mark_all_read(
    pool: &PgPool,
    user: Uuid,
    ticket: Option<Uuid>,
) -> Result<i64, AppError> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = now()
         WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR ticket_id = $2)",
    )
    .bind(user)
    .bind(ticket)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() as i64)
}
