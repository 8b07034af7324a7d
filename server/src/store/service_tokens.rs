//! Service tokens (`service_tokens`) and the orgs each serves (`service_token_orgs`): digests
//! only, never the secret.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// A service token in the list: id, name, its orgs' ids and names (in the same order),
/// created, last used, revoked.
pub type ListRow = (
    Uuid,
    String,
    Vec<Uuid>,
    Vec<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// The orgs among `org_ids` that exist, by name, each held (`FOR KEY SHARE`) until the
/// transaction ends so that none is deleted under a token being made.
pub async fn hold_orgs(
    db: impl PgExecutor<'_>,
    org_ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM orgs WHERE id = ANY($1) ORDER BY lower(name), id FOR KEY SHARE",
    )
    .bind(org_ids)
    .fetch_all(db)
    .await?)
}

/// Stores a new service token by its digest; returns when it was made.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    token_hash: &[u8],
    created_by: Uuid,
) -> Result<DateTime<Utc>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO service_tokens (id, name, token_hash, created_by) VALUES ($1, $2, $3, $4)
         RETURNING created_at",
    )
    .bind(id)
    .bind(name)
    .bind(token_hash)
    .bind(created_by)
    .fetch_one(db)
    .await?)
}

/// The token serves these orgs.
pub async fn add_orgs(db: impl PgExecutor<'_>, id: Uuid, org_ids: &[Uuid]) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO service_token_orgs (service_token_id, org_id) SELECT $1, unnest($2::uuid[])",
    )
    .bind(id)
    .bind(org_ids)
    .execute(db)
    .await?;
    Ok(())
}

/// Every service token with its orgs, live ones first, newest first.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<ListRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.name,
                COALESCE(array_agg(o.id ORDER BY lower(o.name), o.id) FILTER (WHERE o.id IS NOT NULL), '{}'),
                COALESCE(array_agg(o.name ORDER BY lower(o.name), o.id) FILTER (WHERE o.id IS NOT NULL), '{}'),
                t.created_at, t.last_used_at, t.revoked_at
         FROM service_tokens t
         LEFT JOIN service_token_orgs so ON so.service_token_id = t.id
         LEFT JOIN orgs o ON o.id = so.org_id
         GROUP BY t.id
         ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id",
    )
    .fetch_all(db)
    .await?)
}

/// Revokes a live service token; false when there is no such live token.
pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE service_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// The live service token with this digest, noted as used now: (its id, its name, the orgs
/// it serves), in one statement.
pub async fn use_live(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<(Uuid, String, Vec<Uuid>)>, AppError> {
    Ok(sqlx::query_as(
        "WITH t AS (
             UPDATE service_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL
             RETURNING id, name
         )
         SELECT t.id, t.name,
                COALESCE((SELECT array_agg(org_id) FROM service_token_orgs
                          WHERE service_token_id = t.id), '{}')
         FROM t",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}
