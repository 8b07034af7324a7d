//! Service tokens: `Authorization: Bearer tgs_…` for gateways (a bastion, an SSH proxy).
//! A service token is not a user: it acts as a *gateway* principal that may ask about
//! connections and commands, wait on and withdraw the tickets it opened, and check grants.
//! Only super admins make, list and revoke them; only the SHA-256 digest is stored.
//!
//! A token serves the orgs chosen when it is made (`service_token_orgs`): the names a gateway
//! gives (an asset, an org) resolve only within them, and an asset of another org is unknown
//! to it. So another org naming an asset like one of ours changes nothing for our gateway.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tollgate_app::AppError;

use crate::store::service_tokens as repo;

/// Every service token starts with this.
pub const PREFIX: &str = "tgs_";

/// Request extension: this request comes from the gateway holding this service token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The service token's id.
    pub token_id: Uuid,
    /// Its name (for logs and ticket titles).
    pub name: String,
    /// The orgs it serves; nothing outside them is visible to it.
    pub org_ids: Vec<Uuid>,
}

impl Gateway {
    /// Does this gateway serve the org?
    pub fn serves(&self, org_id: Uuid) -> bool {
        self.org_ids.contains(&org_id)
    }
}

/// Most orgs one service token may serve.
pub const MAX_ORGS: usize = 1000;

use crate::identity::digest::of as digest;

/// An org a service token serves.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceTokenOrg {
    pub id: Uuid,
    pub name: String,
}

/// A service token in a list: never the secret.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceTokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The orgs it serves, by name.
    pub orgs: Vec<ServiceTokenOrg>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A service token just made: the only time `token` is shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedServiceToken {
    pub id: Uuid,
    pub name: String,
    /// The orgs it serves, by name.
    pub orgs: Vec<ServiceTokenOrg>,
    /// The secret, `tgs_…`; it cannot be shown again.
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// Makes a service token serving `org_ids` (at least one; each an existing org).
pub async fn create(
    pool: &PgPool,
    created_by: Uuid,
    name: &str,
    org_ids: &[Uuid],
) -> Result<CreatedServiceToken, AppError> {
    let name = crate::identity::tokens::check_name(name)?;
    if org_ids.is_empty() {
        return Err(AppError::invalid(
            "org_ids",
            "Choose the orgs this gateway serves (at least one).",
        ));
    }
    if org_ids.len() > MAX_ORGS {
        return Err(AppError::invalid(
            "org_ids",
            format!("at most {MAX_ORGS} orgs (got {})", org_ids.len()),
        ));
    }
    let mut tx = pool.begin().await?;
    // Held until commit, so an org deleted meanwhile cannot leave a dangling row (FK error).
    let found = repo::hold_orgs(&mut *tx, org_ids).await?;
    if let Some((i, missing)) = org_ids
        .iter()
        .enumerate()
        .find(|(_, id)| !found.iter().any(|(f, _)| f == *id))
    {
        return Err(AppError::invalid(
            &format!("org_ids[{i}]"),
            format!("there is no org {missing}"),
        ));
    }
    let token = format!("{PREFIX}{}", crate::identity::session::new_token());
    let id = Uuid::new_v4();
    let created_at = repo::insert(&mut *tx, id, &name, &digest(&token), created_by).await?;
    let ids: Vec<Uuid> = found.iter().map(|(o, _)| *o).collect();
    repo::add_orgs(&mut *tx, id, &ids).await?;
    tx.commit().await?;
    tracing::info!(token_id = %id, name = %name, orgs = ids.len(), "service token created");
    Ok(CreatedServiceToken {
        id,
        name,
        orgs: found
            .into_iter()
            .map(|(id, name)| ServiceTokenOrg { id, name })
            .collect(),
        token,
        created_at,
    })
}

/// Every service token with its orgs, live ones first, newest first.
pub async fn list(pool: &PgPool) -> Result<Vec<ServiceTokenInfo>, AppError> {
    let rows = repo::list(pool).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, org_ids, org_names, created_at, last_used_at, revoked_at)| {
                ServiceTokenInfo {
                    id,
                    name,
                    orgs: org_ids
                        .into_iter()
                        .zip(org_names)
                        .map(|(id, name)| ServiceTokenOrg { id, name })
                        .collect(),
                    created_at,
                    last_used_at,
                    revoked_at,
                }
            },
        )
        .collect())
}

/// Revokes a live service token; false when there is no such live token.
pub async fn revoke(pool: &PgPool, id: Uuid) -> Result<bool, AppError> {
    let done = repo::revoke(pool, id).await?;
    if done {
        tracing::info!(token_id = %id, "service token revoked");
    }
    Ok(done)
}

/// The gateway a bearer token stands for, with the orgs it serves, if it is a live service
/// token (one statement: the request's hot path).
pub async fn gateway(pool: &PgPool, token: &str) -> Result<Option<Gateway>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row = repo::use_live(pool, &digest(token)).await?;
    Ok(row.map(|(token_id, name, org_ids)| Gateway {
        token_id,
        name,
        org_ids,
    }))
}
