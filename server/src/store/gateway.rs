//! What gateways look up and own: the assets of the orgs a service token serves, and the
//! confirm tickets each token opened (only that token may wait on and withdraw them).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// An asset a gateway may name: its id, name, org and org's name.
pub type AssetRow = (Uuid, String, Uuid, String);

/// The asset `id`, if it belongs to one of `orgs` (and to `org` when given).
pub async fn asset_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    orgs: &[Uuid],
    org: Option<Uuid>,
) -> Result<Vec<AssetRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.name, a.org_id, o.name FROM assets a JOIN orgs o ON o.id = a.org_id
             WHERE a.id = $1 AND a.org_id = ANY($2) AND ($3::uuid IS NULL OR a.org_id = $3)",
    )
    .bind(id)
    .bind(orgs)
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// The assets named `name` in `orgs` (in `org` when given), by org name.
pub async fn assets_by_name(
    db: impl PgExecutor<'_>,
    name: &str,
    orgs: &[Uuid],
    org: Option<Uuid>,
) -> Result<Vec<AssetRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.name, a.org_id, o.name FROM assets a JOIN orgs o ON o.id = a.org_id
             WHERE a.name = $1 AND a.org_id = ANY($2) AND ($3::uuid IS NULL OR a.org_id = $3)
             ORDER BY lower(o.name), o.id",
    )
    .bind(name)
    .bind(orgs)
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// Records that the service token `token` opened the ticket `ticket`.
pub async fn insert_ticket(
    db: impl PgExecutor<'_>,
    ticket: Uuid,
    token: Uuid,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO gateway_tickets (ticket_id, service_token_id) VALUES ($1, $2)")
        .bind(ticket)
        .bind(token)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether the service token `token` opened the ticket `ticket`.
pub async fn opened_by(
    db: impl PgExecutor<'_>,
    ticket: Uuid,
    token: Uuid,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM gateway_tickets WHERE ticket_id = $1 AND service_token_id = $2)",
    )
    .bind(ticket)
    .bind(token)
    .fetch_one(db)
    .await?)
}

/// The person's latest confirm ticket of `ticket_type` approved at or after `since` whose
/// request holds `same` (the fields that make it the same question): its id and serial.
pub async fn recent_approval(
    db: impl PgExecutor<'_>,
    applicant: Uuid,
    ticket_type: &str,
    same: &serde_json::Value,
    since: DateTime<Utc>,
) -> Result<Option<(Uuid, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, serial FROM tickets
         WHERE applicant_id = $1 AND ticket_type = $2 AND state = 'approved'
           AND ticket_type IN ('login_asset_confirm', 'command_confirm')
           AND updated_at >= $4 AND request @> $3
         ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(applicant)
    .bind(ticket_type)
    .bind(same)
    .bind(since)
    .fetch_optional(db)
    .await?)
}
