//! One-time email links (`email_links`): approve and reject links of a mailed decision, by
//! the SHA-256 digest of their token, and the setting that lets them act without sign-in.

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// A link with what it is for and where its ticket stands.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub ticket_id: Uuid,
    pub level: i16,
    pub user_id: Uuid,
    pub action: String,
    pub expired: bool,
    pub used: bool,
    pub serial: String,
    pub title: String,
    /// The approver still has to decide this level of this pending ticket.
    pub awaiting: bool,
    /// Deciding at this level asks for a fresh second factor.
    pub step_up: bool,
    /// Rejecting at this level needs a reason of at least this many characters.
    pub reject_reason_min: i32,
}

/// Stores a link for `user_id` to `action` on `ticket` at `level`, valid `ttl_minutes`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    token_hash: &str,
    ticket: Uuid,
    level: i16,
    user_id: Uuid,
    action: &str,
    ttl_minutes: i32,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO email_links (token_hash, ticket_id, level, user_id, action, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))",
    )
    .bind(token_hash)
    .bind(ticket)
    .bind(level)
    .bind(user_id)
    .bind(action)
    .bind(ttl_minutes)
    .execute(db)
    .await?;
    Ok(())
}

/// The link with this token digest.
pub async fn find(db: impl PgExecutor<'_>, token_hash: &str) -> Result<Option<LinkRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT l.ticket_id, l.level, l.user_id, l.action, l.expires_at <= now() AS expired,
                l.used_at IS NOT NULL AS used, t.serial, t.title,
                EXISTS (SELECT 1 FROM ticket_assignees a WHERE a.ticket_id = l.ticket_id
                        AND a.level = l.level AND a.user_id = l.user_id AND a.awaiting) AS awaiting,
                COALESCE((t.steps -> (l.level - 1) ->> 'step_up')::boolean, false) AS step_up,
                COALESCE((t.steps -> (l.level - 1) ->> 'reject_reason_min')::int, 0) AS reject_reason_min
         FROM email_links l JOIN tickets t ON t.id = l.ticket_id
         WHERE l.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// Spends the links of one mail (every unused link of `ticket`, `level` and `user_id`) if the
/// one with this digest is still unused and unexpired; false when it was not (only one
/// request wins).
pub async fn spend(
    db: impl PgExecutor<'_>,
    ticket: Uuid,
    level: i16,
    user_id: Uuid,
    token_hash: &str,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE email_links SET used_at = now()
         WHERE ticket_id = $1 AND level = $2 AND user_id = $3 AND used_at IS NULL
           AND EXISTS (SELECT 1 FROM email_links WHERE token_hash = $4 AND used_at IS NULL AND expires_at > now())",
    )
    .bind(ticket)
    .bind(level)
    .bind(user_id)
    .bind(token_hash)
    .execute(db)
    .await?
    .rows_affected()
        != 0)
}

/// The setting `direct_email_approval` as stored (`None` when never set).
pub async fn direct_approval_setting(
    db: impl PgExecutor<'_>,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'direct_email_approval'")
            .fetch_optional(db)
            .await?,
    )
}
