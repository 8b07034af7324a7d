//! Personal API tokens (`api_tokens`): only their SHA-256 digests, their names and when they
//! were made, last used and revoked.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// A live token as a list shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub for_approvals: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Locks the user's row until the transaction ends: token creation of one user is serialised,
/// so the cap on live tokens holds under concurrent requests.
pub async fn lock_owner(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<(), AppError> {
    sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// How many live (not revoked) tokens the user holds.
pub async fn count_live(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?)
}

/// Stores a new token by its digest; returns when it was made.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    name: &str,
    token_hash: &[u8],
    for_approvals: bool,
) -> Result<DateTime<Utc>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, for_approvals)
         VALUES ($1, $2, $3, $4, $5) RETURNING created_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(for_approvals)
    .fetch_one(db)
    .await?)
}

/// The user's live tokens, newest first.
pub async fn list_live(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<TokenRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, for_approvals, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// Revokes one of the user's live tokens; false when they hold no such live token.
pub async fn revoke(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = now()
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Whether token `id` of `user` is not revoked and its user active.
pub async fn is_live(db: impl PgExecutor<'_>, id: Uuid, user: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.id = $1 AND t.user_id = $2 AND t.revoked_at IS NULL AND u.active)",
    )
    .bind(id)
    .bind(user)
    .fetch_one(db)
    .await?)
}

/// The live token with this digest, of an active user: (its id, its user, when last used).
pub async fn live_by_digest(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<(Uuid, Uuid, Option<DateTime<Utc>>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// Whether live token `id` was made for approvals (with a second factor).
pub async fn for_approvals(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL AND for_approvals)",
    )
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Notes that the token was used now (unless that was noted within the last minute).
pub async fn touch(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}
