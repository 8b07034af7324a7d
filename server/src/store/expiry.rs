//! The expiry sweep's queries: pending tickets by deadline (`pending_expiry`) and the
//! session-level advisory lock that lets one instance sweep at a time.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use uuid::Uuid;

/// Takes the advisory lock `key` for this session if nobody holds it; false when taken.
pub async fn try_lock(conn: &mut PgConnection, key: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?)
}

/// Releases the advisory lock `key` of this session; false when it did not hold it.
pub async fn unlock(conn: &mut PgConnection, key: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?)
}

/// Up to `limit` pending tickets whose deadline is at or before `now`, earliest first.
pub async fn due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT ticket_id FROM pending_expiry WHERE expires_at <= $1
         ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Takes a ticket off the sweep's list.
pub async fn forget(db: impl PgExecutor<'_>, ticket: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM pending_expiry WHERE ticket_id = $1")
        .bind(ticket)
        .execute(db)
        .await?;
    Ok(())
}
