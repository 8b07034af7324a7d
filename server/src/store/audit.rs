//! The audit trail as exported: tickets opened in a time range, each with every event.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// One event of a ticket (or the ticket alone, when it has none), with the ticket's facts.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub serial: String,
    pub ticket_id: Uuid,
    pub ticket_type: String,
    pub title: String,
    pub org: Option<String>,
    pub applicant: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub event_at: Option<DateTime<Utc>>,
    pub event: Option<String>,
    pub actor: Option<String>,
    pub level: Option<i16>,
    pub comment: Option<String>,
    pub diff: Option<serde_json::Value>,
}

type Row = (
    String,
    Uuid,
    String,
    String,
    Option<String>,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
    Option<i16>,
    Option<String>,
    Option<serde_json::Value>,
);

/// The tickets opened in [`from`, `to`) of every org when `all`, else of the orgs `orgs`
/// (`only` narrows to one), in order, with their events in order: at most 200 000 rows.
pub async fn ticket_events(
    db: impl PgExecutor<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    all: bool,
    orgs: &[Uuid],
    only: Option<Uuid>,
) -> Result<Vec<AuditRow>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.serial, t.id, t.ticket_type, t.title, o.name, u.username, t.state, t.created_at,
                e.at, e.kind, a.username, e.level, e.comment, e.diff
         FROM tickets t
         LEFT JOIN orgs o ON o.id = t.org_id
         JOIN users u ON u.id = t.applicant_id
         LEFT JOIN ticket_events e ON e.ticket_id = t.id
         LEFT JOIN users a ON a.id = e.actor_id
         WHERE t.created_at >= $1 AND t.created_at < $2
           AND ($3 OR t.org_id = ANY($4))
           AND ($5::uuid IS NULL OR t.org_id = $5)
         ORDER BY t.created_at, t.serial, e.id
         LIMIT 200000",
    )
    .bind(from)
    .bind(to)
    .bind(all)
    .bind(orgs)
    .bind(only)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditRow {
            serial: r.0,
            ticket_id: r.1,
            ticket_type: r.2,
            title: r.3,
            org: r.4,
            applicant: r.5,
            state: r.6,
            created_at: r.7,
            event_at: r.8,
            event: r.9,
            actor: r.10,
            level: r.11,
            comment: r.12,
            diff: r.13,
        })
        .collect())
}
