//! `/api/v1/grants…`

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::Backend;
use tollgate_app::dto::*;
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiQuery, Caller, Id};
use crate::repo::grants as repo;
use crate::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    mine: bool,
    #[serde(default)]
    page: Option<u32>,
}

pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<GrantDto>>, AppError> {
    Ok(Json(
        s.services.grants(&v, q.mine, q.page.unwrap_or(1)).await?,
    ))
}

pub async fn get(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<GrantDto>, AppError> {
    repo::get(&s.pool, id)
        .await?
        .filter(|g| repo::may_see(&v, g))
        .map(Json)
        .ok_or_else(|| AppError::not_found("Grant"))
}

pub async fn revoke(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<GrantDto>, AppError> {
    Ok(Json(s.services.revoke_grant(&v, id).await?))
}

#[derive(Deserialize)]
pub struct CheckQuery {
    user: Uuid,
    asset: Uuid,
    account: String,
    action: String,
}

/// May this user use this account on this asset for this action now? Super admins, the org's
/// admins and auditors, and the user themself may ask (gateways use a service token, later).
pub async fn check(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> Result<Json<GrantCheck>, AppError> {
    if tollgate_core::ActionSet::parse(&[q.action.as_str()]).is_err() || q.action == "all" {
        return Err(AppError::invalid(
            "action",
            format!("{:?} is not an action", q.action),
        ));
    }
    let org: Option<Uuid> = sqlx::query_scalar("SELECT org_id FROM assets WHERE id = $1")
        .bind(q.asset)
        .fetch_optional(&s.pool)
        .await?;
    let Some(org) = org else {
        return Err(AppError::not_found("Asset"));
    };
    let oversees = v.is_super_admin()
        || v.orgs.iter().any(|m| {
            m.org_id == org
                && matches!(
                    m.role,
                    tollgate_core::OrgRole::OrgAdmin | tollgate_core::OrgRole::OrgAuditor
                )
        });
    if !(oversees || v.id == q.user) {
        return Err(AppError::forbidden(
            "You may only check your own access, or that of an org you oversee.",
        ));
    }
    Ok(Json(
        repo::check(&s.pool, q.user, q.asset, &q.account, &q.action).await?,
    ))
}
