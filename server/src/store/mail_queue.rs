//! The mail queue: the mail columns of `notifications` (`mail_to`, `mail_visible_at`,
//! `mail_attempts`, `mailed_at`, `mail_error`, `mail_failed_at`), claimed by the mail worker
//! with `FOR UPDATE SKIP LOCKED` and a lease (jobs/mail.rs).

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// A notification whose mail is due, claimed for one attempt.
#[derive(Debug, sqlx::FromRow)]
pub struct MailDue {
    pub id: Uuid,
    pub user_id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub level: Option<i16>,
    pub mail_to: String,
    pub mail_attempts: i32,
}

/// Claims up to `batch` due mails not older than `stale_hours`: each gets its attempt counted
/// and is hidden for `lease_seconds`, in one statement, so two workers never hold the same one.
pub async fn claim(
    db: impl PgExecutor<'_>,
    batch: i64,
    lease_seconds: f64,
    stale_hours: i32,
) -> Result<Vec<MailDue>, AppError> {
    Ok(sqlx::query_as(
        "WITH due AS (
            SELECT id FROM notifications
            WHERE mail_to IS NOT NULL AND mailed_at IS NULL AND mail_failed_at IS NULL
              AND mail_visible_at <= now() AND created_at > now() - make_interval(hours => $3)
            ORDER BY mail_visible_at, created_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
         )
         UPDATE notifications n SET mail_attempts = n.mail_attempts + 1,
             mail_visible_at = now() + make_interval(secs => $2)
         FROM due WHERE n.id = due.id
         RETURNING n.id, n.user_id, n.ticket_id, n.kind, n.title, n.body, n.link, n.level,
             n.mail_to, n.mail_attempts",
    )
    .bind(batch)
    .bind(lease_seconds)
    .bind(stale_hours)
    .fetch_all(db)
    .await?)
}

/// The mail was sent.
pub async fn sent(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET mailed_at = now(), mail_error = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The attempt failed with `error`: try again in `delay_seconds`, or never (`give_up`).
pub async fn failed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error: &str,
    delay_seconds: f64,
    give_up: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE notifications SET mail_error = $2,
            mail_visible_at = now() + make_interval(secs => $3),
            mail_failed_at = CASE WHEN $4 THEN now() END
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(delay_seconds)
    .bind(give_up)
    .execute(db)
    .await?;
    Ok(())
}
