//! In-app notifications of the signed-in person: list, unread count, mark read. They are
//! written by [`crate::usecases::outbox::record`] in the transaction of the event that caused them.

use sqlx::PgPool;
use tollgate_app::notifications::*;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::store::notifications::{self as repo, NotificationRow};

/// Largest page.
pub const MAX_PER_PAGE: u32 = 100;

impl From<NotificationRow> for NotificationDto {
    fn from(r: NotificationRow) -> Self {
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
    let rows = repo::page(
        pool,
        user,
        unread_only,
        per_page as i64,
        (page as i64 - 1) * per_page as i64,
    )
    .await?;
    let (total, unread) = repo::counts(pool, user, unread_only).await?;
    Ok(NotificationList {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
        unread,
    })
}

pub async fn unread(pool: &PgPool, user: Uuid) -> Result<i64, AppError> {
    repo::unread(pool, user).await
}

/// Marks one of the caller's notifications read (404 for anyone else's).
pub async fn mark_read(pool: &PgPool, user: Uuid, id: Uuid) -> Result<NotificationDto, AppError> {
    repo::mark_read(pool, user, id)
        .await?
        .map(Into::into)
        .ok_or_else(|| AppError::not_found("Notification"))
}

/// Marks every unread notification of the caller read (optionally only a ticket's).
pub async fn mark_all_read(
    pool: &PgPool,
    user: Uuid,
    ticket: Option<Uuid>,
) -> Result<i64, AppError> {
    Ok(repo::mark_all_read(pool, user, ticket).await? as i64)
}
