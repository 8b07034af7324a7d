//! Held sign-ins (`pending_logins`): the digest of the waiting browser's token, the person,
//! the login_confirm ticket, and the marks of a left page and of the one use of an approval.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use uuid::Uuid;

/// What a new held sign-in records.
pub struct NewPending<'a> {
    pub token_hash: &'a [u8],
    pub user_id: Uuid,
    pub ticket_id: Uuid,
    pub usable_until: DateTime<Utc>,
    pub rule_name: &'a str,
    pub ip: Option<String>,
    pub user_agent: Option<&'a str>,
    /// How the person proved who they are: `password`, `oidc` or `ldap`.
    pub method: &'a str,
}

pub async fn insert(db: impl PgExecutor<'_>, p: &NewPending<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO pending_logins (id, token_hash, user_id, ticket_id, expires_at, rule_name, ip, user_agent, method)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::new_v4())
    .bind(p.token_hash)
    .bind(p.user_id)
    .bind(p.ticket_id)
    .bind(p.usable_until)
    .bind(p.rule_name)
    .bind(&p.ip)
    .bind(p.user_agent)
    .bind(p.method)
    .execute(db)
    .await?;
    Ok(())
}

/// A held sign-in with its ticket, as the waiting page sees it.
#[derive(sqlx::FromRow)]
pub struct PendingRow {
    pub user_id: Uuid,
    pub ticket_id: Uuid,
    pub consumed_at: Option<DateTime<Utc>>,
    pub usable_until: DateTime<Utc>,
    pub rule_name: String,
    pub ip: Option<String>,
    pub username: String,
    pub serial: String,
    pub state: String,
    pub opened_at: DateTime<Utc>,
    pub ticket_expires_at: DateTime<Utc>,
}

pub async fn by_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<PendingRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT p.user_id, p.ticket_id, p.consumed_at, p.expires_at AS usable_until, p.rule_name,
                p.ip, u.username, t.serial, t.state, t.created_at AS opened_at,
                t.expires_at AS ticket_expires_at
         FROM pending_logins p JOIN tickets t ON t.id = p.ticket_id JOIN users u ON u.id = p.user_id
         WHERE p.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// The names of a ticket's reviewers, by level.
pub async fn reviewer_names(
    db: impl PgExecutor<'_>,
    ticket_id: Uuid,
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT CASE WHEN u.display_name = '' THEN u.username ELSE u.display_name END
         FROM ticket_assignees a JOIN users u ON u.id = a.user_id
         WHERE a.ticket_id = $1 ORDER BY a.level, u.username",
    )
    .bind(ticket_id)
    .fetch_all(db)
    .await?)
}

/// The last event of a ticket: who acted, what they said, their name.
pub async fn last_event(
    db: impl PgExecutor<'_>,
    ticket_id: Uuid,
) -> Result<Option<(Option<Uuid>, Option<String>, Option<String>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT e.actor_id, e.comment,
                CASE WHEN u.display_name = '' THEN u.username ELSE u.display_name END
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.ticket_id = $1 ORDER BY e.id DESC LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(db)
    .await?)
}

/// The page asked again: it was reloaded, not left.
pub async fn clear_leave_mark(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE pending_logins SET leaving_at = NULL WHERE token_hash = $1 AND leaving_at IS NOT NULL",
    )
    .bind(token_hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks an unused held sign-in as left; returns the mark.
pub async fn mark_leaving(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE pending_logins SET leaving_at = clock_timestamp()
         WHERE token_hash = $1 AND consumed_at IS NULL RETURNING leaving_at",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

/// The person and ticket of an unused held sign-in; with `left_at`, only while the page's
/// leave mark is still that one.
pub async fn unused(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    left_at: Option<DateTime<Utc>>,
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT user_id, ticket_id FROM pending_logins
         WHERE token_hash = $1 AND consumed_at IS NULL
           AND ($2::timestamptz IS NULL OR leaving_at = $2)",
    )
    .bind(token_hash)
    .bind(left_at)
    .fetch_optional(db)
    .await?)
}

/// Uses the approval of a held sign-in, once: how the person signed in (`password`, `oidc`,
/// `ldap`) when this call consumed it (unused and still within its time) and its person is
/// active, else None. Runs in the caller's transaction, so the session opened with it and the
/// consumption commit together or not at all.
pub async fn consume(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<String>, AppError> {
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "UPDATE pending_logins SET consumed_at = now()
         WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now()
         RETURNING user_id, method",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((user, method)) = row else {
        return Ok(None);
    };
    let active: bool = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(false);
    Ok(active.then_some(method))
}
