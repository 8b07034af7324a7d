//! The second factor: TOTP secrets, recovery codes, and the sign-ins waiting for a code.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use uuid::Uuid;

/// The person's TOTP factor: (secret, confirmed).
pub async fn totp(
    db: impl PgExecutor<'_>,
    user: Uuid,
) -> Result<Option<(Vec<u8>, bool)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT secret, confirmed_at IS NOT NULL FROM totp_factors WHERE user_id = $1",
    )
    .bind(user)
    .fetch_optional(db)
    .await?)
}

/// The person's second factors: a confirmed authenticator app or not, how many recovery codes
/// are left, and how many passkeys they have.
pub async fn status(db: impl PgExecutor<'_>, user: Uuid) -> Result<(bool, i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL),
                (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL),
                (SELECT count(*) FROM passkeys WHERE user_id = $1)",
    )
    .bind(user)
    .fetch_one(db)
    .await?)
}

/// Starts (or starts again) an enrolment with `secret`; nothing when a confirmed factor exists
/// (false then).
pub async fn begin(db: impl PgExecutor<'_>, user: Uuid, secret: &[u8]) -> Result<bool, AppError> {
    let n = sqlx::query(
        "INSERT INTO totp_factors (user_id, secret) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, created_at = now()
           WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(user)
    .bind(secret)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Takes the 30-second `step` of a right code, once: false when that step (or a later one) was
/// taken already — a replayed code.
pub async fn take_step(db: impl PgExecutor<'_>, user: Uuid, step: i64) -> Result<bool, AppError> {
    let n =
        sqlx::query("UPDATE totp_factors SET last_step = $2 WHERE user_id = $1 AND last_step < $2")
            .bind(user)
            .bind(step)
            .execute(db)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// Confirms the enrolment and keeps the digests of new recovery codes (replacing any).
pub async fn confirm(db: &mut PgConnection, user: Uuid, codes: &[Vec<u8>]) -> Result<(), AppError> {
    sqlx::query("UPDATE totp_factors SET confirmed_at = now() WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "INSERT INTO recovery_codes (user_id, digest) SELECT $1, d FROM unnest($2::bytea[]) AS d",
    )
    .bind(user)
    .bind(codes)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Uses a recovery code, once: true when it was one of the person's and unused.
pub async fn use_recovery(
    db: impl PgExecutor<'_>,
    user: Uuid,
    digest: &[u8],
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND digest = $2 AND used_at IS NULL",
    )
    .bind(user)
    .bind(digest)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Removes the person's second factor and recovery codes; true when there was one.
pub async fn remove(db: &mut PgConnection, user: Uuid) -> Result<bool, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    Ok(sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?
        .rows_affected()
        == 1)
}

/// Keeps a sign-in waiting for its second factor.
pub async fn challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user: Uuid,
    method: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "WITH gone AS (DELETE FROM second_factor_challenges WHERE expires_at < now())
         INSERT INTO second_factor_challenges (token_hash, user_id, method, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(method)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The waiting sign-in of this token, if still within its time: (user, username, method).
pub async fn waiting(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<(Uuid, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.user_id, u.username, c.method FROM second_factor_challenges c JOIN users u ON u.id = c.user_id
         WHERE c.token_hash = $1 AND c.expires_at > now() AND u.active",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// Ends the waiting sign-in of this token (its code was right).
pub async fn end_challenge(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM second_factor_challenges WHERE token_hash = $1")
            .bind(token_hash)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// When the session with this digest last gave its second factor.
pub async fn session_given_at(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT second_factor_at FROM sessions WHERE token_hash = $1 AND expires_at > now()",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?
    .flatten())
}

/// Notes that the session with this digest gave its second factor now.
pub async fn mark_session(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET second_factor_at = now() WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Writes an event of `user`'s second factor (`actor`: who did it, None for the command line).
pub async fn record_event(
    db: impl PgExecutor<'_>,
    user: Uuid,
    actor: Option<Uuid>,
    kind: &str,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO security_events (user_id, actor_id, kind) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(actor)
        .bind(kind)
        .execute(db)
        .await?;
    Ok(())
}

/// An event of a person's second factor, with who did it (display name) when someone did.
#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub kind: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

/// The newest `limit` events of `user`'s second factor, newest first.
pub async fn events(
    db: impl PgExecutor<'_>,
    user: Uuid,
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT e.kind, a.display_name AS actor, e.at
           FROM security_events e LEFT JOIN users a ON a.id = e.actor_id
          WHERE e.user_id = $1 ORDER BY e.at DESC, e.id DESC LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Tells `user` (in the app, and by mail when they have an address) that their second factor
/// was reset, by `by` (a display name) or from the command line.
pub async fn notify_reset(
    db: impl PgExecutor<'_>,
    user: Uuid,
    by: Option<&str>,
) -> Result<(), AppError> {
    let who = by.map_or_else(
        || "An administrator, from the server's command line,".to_string(),
        str::to_string,
    );
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, mail_to)
         SELECT gen_random_uuid(), u.id, 'security', 'Your second factor was reset', $2,
                '/security', CASE WHEN u.active THEN nullif(trim(u.email), '') END
           FROM users u WHERE u.id = $1",
    )
    .bind(user)
    .bind(format!(
        "{who} removed your authenticator app, recovery codes and passkeys and signed you out \
         everywhere. If you did not ask for this, tell them now; then set up a new one on \
         your Security page."
    ))
    .execute(db)
    .await?;
    Ok(())
}
