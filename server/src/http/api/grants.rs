//! `/api/v1/grants…`

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::Backend;
use tollgate_app::dto::*;
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery, Caller, Id};
use super::openapi::ApiErrorBody;
use super::responses::UnknownGrant;
use crate::store::grants as repo;
use crate::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the caller's own grants.
    #[serde(default)]
    mine: bool,
    /// 1-based.
    #[serde(default)]
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    page: Option<u32>,
}

/// Grants: the caller's, or (for those who oversee orgs) those of the orgs they oversee.
#[utoipa::path(
    get,
    path = "/api/v1/grants",
    operation_id = "list_grants",
    tag = "grants",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of grants", body = Page<GrantDto>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<GrantDto>>, AppError> {
    Ok(Json(
        s.services.grants(&v, q.mine, q.page.unwrap_or(1)).await?,
    ))
}

/// One grant.
#[utoipa::path(
    get,
    path = "/api/v1/grants/{id}",
    operation_id = "get_grant",
    tag = "grants",
    params(("id" = uuid::Uuid, Path, description = "The grant's (and its ticket's) id")),
    responses(
        (status = 200, description = "The grant", body = GrantDto),
        UnknownGrant,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<GrantDto>, AppError> {
    Ok(Json(crate::usecases::grants::get(&s.pool, &v, id).await?))
}

/// Revoke a grant before it expires, without a reason (its history says none was given).
/// `POST /api/v1/grants/{id}/revoke` says why.
#[utoipa::path(
    delete,
    path = "/api/v1/grants/{id}",
    operation_id = "revoke_grant",
    tag = "grants",
    params(("id" = uuid::Uuid, Path, description = "The grant's (and its ticket's) id")),
    responses(
        (status = 200, description = "The grant, revoked", body = GrantDto),
        (status = 403, description = "Not a super admin, an admin of its org or an approver of its request's last level", body = ApiErrorBody),
        (status = 409, description = "Revoked or over already (`grant_ended`)", body = ApiErrorBody),
        UnknownGrant,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn revoke(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<GrantDto>, AppError> {
    Ok(Json(
        s.services
            .revoke_grant(&v, id, "Revoked; no reason given.".into())
            .await?,
    ))
}

/// Revoke a grant with a reason: it stops at once (`grants/check` and the gateway refuse on
/// every instance), the request's history shows it, and the holder, the approvers and CC are
/// told why.
#[utoipa::path(
    post,
    path = "/api/v1/grants/{id}/revoke",
    operation_id = "revoke_grant_with_reason",
    tag = "grants",
    params(("id" = uuid::Uuid, Path, description = "The grant's (and its ticket's) id")),
    request_body = RevokeGrant,
    responses(
        (status = 200, description = "The grant, revoked", body = GrantDto),
        (status = 403, description = "Not a super admin, an admin of its org or an approver of its request's last level", body = ApiErrorBody),
        (status = 409, description = "Revoked or over already (`grant_ended`)", body = ApiErrorBody),
        (status = 422, description = "No reason, or more than 1000 characters (`reason`)", body = ApiErrorBody),
        UnknownGrant,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn revoke_with_reason(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<RevokeGrant>,
) -> Result<Json<GrantDto>, AppError> {
    Ok(Json(s.services.revoke_grant(&v, id, body.reason).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Whose access.
    user: Uuid,
    /// On which asset.
    asset: Uuid,
    /// As which account (name).
    account: String,
    /// Which action, e.g. `connect`.
    action: String,
}

/// May this user use this account on this asset for this action now? Super admins, the org's
/// admins and auditors, and the user themself may ask (gateways use a service token, later).
#[utoipa::path(
    get,
    path = "/api/v1/grants/check",
    operation_id = "check_grant",
    tag = "grants",
    params(CheckQuery),
    responses(
        (status = 200, description = "The answer", body = GrantCheck),
        (status = 403, description = "Asking about someone the caller does not oversee", body = ApiErrorBody),
        (status = 404, description = "Unknown asset", body = ApiErrorBody),
        (status = 422, description = "Unknown action", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn check(
    State(s): State<AppState>,
    p: super::gateway::Principal,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> Result<Json<GrantCheck>, AppError> {
    if tollgate_core::ActionSet::parse(&[q.action.as_str()]).is_err() || q.action == "all" {
        return Err(AppError::invalid(
            "action",
            format!("{:?} is not an action", q.action),
        ));
    }
    let Some(org) = crate::store::directory::org_of_asset(&s.pool, q.asset).await? else {
        return Err(AppError::not_found("Asset"));
    };
    // A gateway (service token) may ask about anyone, on the assets of the orgs it serves.
    let v = match p {
        super::gateway::Principal::Gateway(g) => {
            if !g.serves(org) {
                return Err(AppError::not_found("Asset"));
            }
            return Ok(Json(
                repo::check(&s.pool, q.user, q.asset, &q.account, &q.action).await?,
            ));
        }
        super::gateway::Principal::User(v) => v,
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
