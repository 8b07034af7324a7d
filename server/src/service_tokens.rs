//! Service tokens: `Authorization: Bearer tgs_…` for gateways (a bastion, an SSH proxy).
//! A service token is not a user: it acts as a *gateway* principal that may ask about
//! connections and commands, wait on and withdraw the tickets it opened, and check grants.
//! Only super admins make, list and revoke them; only the SHA-256 digest is stored.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use tollgate_app::AppError;

/// Every service token starts with this.
pub const PREFIX: &str = "tgs_";

/// Request extension: this request comes from the gateway holding this service token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The service token's id.
    pub token_id: Uuid,
    /// Its name (for logs and ticket titles).
    pub name: String,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A service token in a list: never the secret.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ServiceTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A service token just made: the only time `token` is shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedServiceToken {
    pub id: Uuid,
    pub name: String,
    /// The secret, `tgs_…`; it cannot be shown again.
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// Makes a service token.
pub async fn create(
    pool: &PgPool,
    created_by: Uuid,
    name: &str,
) -> Result<CreatedServiceToken, AppError> {
    let name = crate::tokens::check_name(name)?;
    let token = format!("{PREFIX}{}", crate::session::new_token());
    let id = Uuid::new_v4();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO service_tokens (id, name, token_hash, created_by) VALUES ($1, $2, $3, $4)
         RETURNING created_at",
    )
    .bind(id)
    .bind(&name)
    .bind(digest(&token))
    .bind(created_by)
    .fetch_one(pool)
    .await?;
    tracing::info!(token_id = %id, name = %name, "service token created");
    Ok(CreatedServiceToken {
        id,
        name,
        token,
        created_at,
    })
}

/// Every service token, live ones first, newest first.
pub async fn list(pool: &PgPool) -> Result<Vec<ServiceTokenInfo>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM service_tokens
         ORDER BY revoked_at IS NOT NULL, created_at DESC, id",
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes a live service token; false when there is no such live token.
pub async fn revoke(pool: &PgPool, id: Uuid) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE service_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected()
        == 1;
    if done {
        tracing::info!(token_id = %id, "service token revoked");
    }
    Ok(done)
}

/// The gateway a bearer token stands for, if it is a live service token.
pub async fn gateway(pool: &PgPool, token: &str) -> Result<Option<Gateway>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "UPDATE service_tokens SET last_used_at = now()
         WHERE token_hash = $1 AND revoked_at IS NULL
         RETURNING id, name",
    )
    .bind(digest(token))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(token_id, name)| Gateway { token_id, name }))
}
