//! What a ticket change leaves besides the ticket row, written in its transaction (history,
//! in-app notifications, outbox rows, the live NOTIFY), and an outbox message's delivery
//! state. The delivery worker's claims are the leased queue's ([`crate::store::queue`]).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use tollgate_core::TicketEvent;
use uuid::Uuid;

/// An in-app message to write with its event.
#[derive(Debug)]
pub struct NewNotification<'a> {
    pub user_id: Uuid,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub level: Option<i16>,
}

/// A ticket change's side effects, written together.
pub struct Change<'a> {
    pub ticket_id: Uuid,
    /// The in-app link of the notifications.
    pub link: String,
    pub at: DateTime<Utc>,
    /// The events, in their order, with each one's diff as JSON.
    pub events: &'a [TicketEvent],
    pub diffs: Vec<Option<Value>>,
    pub notifications: Vec<NewNotification<'a>>,
    /// One payload per event, sent to every active webhook (its `delivery_id` is set here).
    pub webhook_payloads: Vec<Value>,
    /// The live NOTIFY's payload (Postgres sends it on commit).
    pub live: String,
}

/// Writes, in one statement, a change's events in the history (in their order), the in-app
/// messages (with the address to mail them to, if their person has one and is active), one
/// outbox row per event and active webhook, and the live notification.
pub async fn record(db: &mut PgConnection, c: Change<'_>) -> Result<(), AppError> {
    let events = c.events;
    let notices = &c.notifications;
    sqlx::query(
        "WITH history AS (
            INSERT INTO ticket_events (ticket_id, kind, actor_id, level, comment, diff, at, step_up,
                on_behalf_of)
            SELECT $1, e.kind, e.actor, e.level, e.comment, e.diff, e.at, e.step_up, e.for_whom
            FROM unnest($4::text[], $5::uuid[], $6::smallint[], $7::text[], $8::jsonb[],
                        $9::timestamptz[], $18::text[], $19::uuid[])
                 WITH ORDINALITY AS e(kind, actor, level, comment, diff, at, step_up, for_whom, n)
            ORDER BY e.n
         ), messages AS (
            INSERT INTO notifications (id, user_id, ticket_id, kind, title, body, link, created_at,
                level, mail_to, mail_visible_at)
            SELECT gen_random_uuid(), n.user_id, $1, n.kind, n.title, n.body, $2, $3, n.level,
                (SELECT nullif(trim(email), '') FROM users WHERE id = n.user_id AND active), $3
            FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[], $14::smallint[])
                 AS n(user_id, kind, title, body, level)
         ), hooks AS (
            INSERT INTO outbox (id, channel, webhook_id, ticket_id, payload, created_at, visible_at)
            SELECT d.id, 'webhook', d.hook, $1, jsonb_set(d.payload, '{delivery_id}', to_jsonb(d.id)), $3, $3
            FROM (SELECT gen_random_uuid() AS id, w.id AS hook, e.payload, e.n
                  FROM webhooks w CROSS JOIN unnest($15::jsonb[]) WITH ORDINALITY AS e(payload, n)
                  WHERE w.active OFFSET 0) d
            ORDER BY d.hook, d.n
         )
         SELECT pg_notify($16, $17)",
    )
    .bind(c.ticket_id)
    .bind(c.link)
    .bind(c.at)
    .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.actor).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.level.map(i16::from)).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.comment.clone()).collect::<Vec<_>>())
    .bind(c.diffs)
    .bind(events.iter().map(|e| e.at).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.user_id).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.kind).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.title).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.body).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.level).collect::<Vec<_>>())
    .bind(c.webhook_payloads)
    .bind(crate::store::live::CHANNEL)
    .bind(c.live)
    .bind(events.iter().map(|e| e.step_up.map(|s| s.as_str())).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.on_behalf_of).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A message's attempts, when it was delivered and its last error.
pub async fn status(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<(i32, Option<DateTime<Utc>>, Option<String>)>, AppError> {
    Ok(
        sqlx::query_as("SELECT attempts, delivered_at, last_error FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// A delivery as the webhooks page shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event: Option<String>,
    pub ticket_serial: Option<String>,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub visible_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub last_error: Option<String>,
}

const DELIVERY_COLUMNS: &str = "o.id, o.payload->>'event' AS event, t.serial AS ticket_serial,
    o.created_at, o.attempts, o.delivered_at, o.failed_at, o.visible_at, o.answer, o.last_error";

/// The latest `limit` messages to webhook `webhook`, newest first.
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    webhook: Uuid,
    limit: i64,
) -> Result<Vec<DeliveryRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id
          WHERE o.webhook_id = $1 ORDER BY o.created_at DESC, o.id LIMIT $2"
    )))
    .bind(webhook)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Makes a message of `webhook` that is not delivered due now again, given up or not (its
/// attempts count on); then the message as it is (None: no such message of that webhook).
pub async fn send_again(
    db: &mut PgConnection,
    webhook: Uuid,
    id: Uuid,
) -> Result<Option<DeliveryRow>, AppError> {
    sqlx::query(
        "UPDATE outbox SET visible_at = now(), failed_at = NULL
          WHERE id = $2 AND webhook_id = $1 AND delivered_at IS NULL",
    )
    .bind(webhook)
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id
          WHERE o.id = $2 AND o.webhook_id = $1"
    )))
    .bind(webhook)
    .bind(id)
    .fetch_optional(&mut *db)
    .await?)
}
