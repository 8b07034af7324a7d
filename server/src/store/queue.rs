//! Leased queues: tables whose due rows workers on any instance claim with `FOR UPDATE SKIP
//! LOCKED`, counting the attempt and hiding the row for a lease in the same statement, then
//! mark done, or failed with a retry time or given up (jobs/queue.rs). Two queues:
//!
//! - [`Queue::Mail`]: the mail columns of `notifications` (`mail_to`, `mail_visible_at`,
//!   `mail_attempts`, `mailed_at`, `mail_error`, `mail_failed_at`), sent by jobs/mail.rs;
//! - [`Queue::Outbox`]: `outbox` (`visible_at`, `attempts`, `delivered_at`, `answer`,
//!   `last_error`, `failed_at`), webhook deliveries by jobs/webhooks.rs.
//!
//! Claims differ per queue (what a worker needs of its rows); marking done and failed is one
//! function each, the statement chosen by the queue.

use serde_json::Value;
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// Which leased queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Notifications to mail.
    Mail,
    /// Outbox messages to deliver.
    Outbox,
}

impl Queue {
    fn done_sql(self) -> &'static str {
        match self {
            Queue::Mail => {
                "UPDATE notifications SET mailed_at = now(), mail_error = NULL WHERE id = $1"
            }
            Queue::Outbox => {
                "UPDATE outbox SET delivered_at = now(), last_error = NULL, answer = $2
                 WHERE id = $1"
            }
        }
    }

    fn failed_sql(self) -> &'static str {
        match self {
            Queue::Mail => {
                "UPDATE notifications SET mail_error = $2,
                    mail_visible_at = now() + make_interval(secs => $3),
                    mail_failed_at = CASE WHEN $4 THEN now() END
                 WHERE id = $1"
            }
            Queue::Outbox => {
                "UPDATE outbox SET last_error = $2,
                    visible_at = now() + make_interval(secs => $3),
                    failed_at = CASE WHEN $4 THEN now() END
                 WHERE id = $1"
            }
        }
    }
}

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
pub async fn claim_mail(
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

/// An outbox message whose delivery is due, claimed for one attempt, with its webhook (if it
/// still exists).
#[derive(Debug, sqlx::FromRow)]
pub struct OutboxDue {
    pub id: Uuid,
    pub channel: String,
    pub payload: Value,
    pub attempts: i32,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

/// Claims up to `batch` due outbox messages: each gets its attempt counted and is hidden for
/// `lease_seconds`, in one statement, so two workers never hold the same row.
pub async fn claim_outbox(
    db: impl PgExecutor<'_>,
    batch: i64,
    lease_seconds: f64,
) -> Result<Vec<OutboxDue>, AppError> {
    Ok(sqlx::query_as(
        "WITH due AS (
            SELECT id FROM outbox
            WHERE delivered_at IS NULL AND failed_at IS NULL AND visible_at <= now()
            ORDER BY visible_at, created_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
         ), claimed AS (
            UPDATE outbox o SET attempts = o.attempts + 1,
                visible_at = now() + make_interval(secs => $2)
            FROM due WHERE o.id = due.id
            RETURNING o.id, o.channel, o.payload, o.attempts, o.webhook_id, o.created_at
         )
         SELECT c.id, c.channel, c.payload, c.attempts, w.url, w.secret, w.active
         FROM claimed c LEFT JOIN webhooks w ON w.id = c.webhook_id
         ORDER BY c.created_at",
    )
    .bind(batch)
    .bind(lease_seconds)
    .fetch_all(db)
    .await?)
}

/// The row `id` of `queue` was handled (mailed, delivered): it is not claimed again. The
/// outbox keeps what the receiver answered (`answer`); mail keeps nothing of it.
pub async fn done(
    db: impl PgExecutor<'_>,
    queue: Queue,
    id: Uuid,
    answer: Option<&str>,
) -> Result<(), AppError> {
    let q = sqlx::query(queue.done_sql()).bind(id);
    match queue {
        Queue::Outbox => q.bind(answer).execute(db).await?,
        Queue::Mail => q.execute(db).await?,
    };
    Ok(())
}

/// The attempt on row `id` of `queue` failed with `error`: it is claimed again in
/// `delay_seconds`, or never (`give_up`).
pub async fn failed(
    db: impl PgExecutor<'_>,
    queue: Queue,
    id: Uuid,
    error: &str,
    delay_seconds: f64,
    give_up: bool,
) -> Result<(), AppError> {
    sqlx::query(queue.failed_sql())
        .bind(id)
        .bind(error)
        .bind(delay_seconds)
        .bind(give_up)
        .execute(db)
        .await?;
    Ok(())
}

/// What waits in each queue for `/metrics`: (queue, rows not yet done nor given up, age in
/// seconds of the oldest of them (0 when none)).
pub async fn backlog(db: impl PgExecutor<'_>) -> Result<Vec<(String, i64, f64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT 'outbox', count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
           FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL
         UNION ALL
         SELECT 'mail', count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
           FROM notifications
          WHERE mail_to IS NOT NULL AND mailed_at IS NULL AND mail_failed_at IS NULL",
    )
    .fetch_all(db)
    .await?)
}
