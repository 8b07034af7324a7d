//! Sessions: one row per signed-in browser, keyed by the SHA-256 digest of its cookie's token
//! (the token itself is never stored).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// Opens a session for `user_id` until `expires_at`, noting where it was opened from.
pub async fn open(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
    method: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at, ip, user_agent, method) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .bind(ip)
    .bind(user_agent)
    .bind(method)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the session with this token digest (signing out), on every instance at once.
pub async fn end(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}
