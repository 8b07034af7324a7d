//! `/api/v1/service-tokens…`: the tokens gateways use (super admins only, from a session or a
//! personal token of a super admin). Each token serves the orgs chosen when it is made.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id};
use super::openapi::ApiErrorBody;
use super::responses::SuperAdminOnly;
use crate::identity::service_tokens::{self, CreatedServiceToken, ServiceTokenInfo};
use crate::AppState;

/// A new service token: its name (e.g. which gateway uses it) and the orgs it serves.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewServiceToken {
    /// 1 to 64 characters.
    pub name: String,
    /// The orgs this gateway serves (required, at least one, at most 1000). The asset and
    /// org names it asks about resolve only within them; assets of other orgs are unknown
    /// to it.
    // Left out → our own 422 on `org_ids`, rather than serde's message.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 1000)]
    pub org_ids: Vec<uuid::Uuid>,
}

/// Every service token.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceTokenList {
    pub items: Vec<ServiceTokenInfo>,
}

fn super_admin(v: &tollgate_app::model::Viewer) -> Result<(), AppError> {
    if v.is_super_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only super admins manage service tokens.",
        ))
    }
}

/// Make a service token for a gateway, bound to the orgs it serves. The secret (`tgs_…`) is
/// in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/service-tokens",
    operation_id = "create_service_token",
    tag = "gateway",
    request_body = NewServiceToken,
    responses(
        (status = 201, description = "The token, with its secret (shown this once)", body = CreatedServiceToken),
        (status = 422, description = "Bad name (`name`), no orgs (`org_ids`) or an unknown org (`org_ids[i]`)", body = ApiErrorBody),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<NewServiceToken>,
) -> Result<impl IntoResponse, AppError> {
    super_admin(&v)?;
    let t = service_tokens::create(&s.pool, v.id, &body.name, &body.org_ids).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Every service token (never their secrets) with the orgs it serves, live ones first.
#[utoipa::path(
    get,
    path = "/api/v1/service-tokens",
    operation_id = "list_service_tokens",
    tag = "gateway",
    responses(
        (status = 200, description = "The tokens", body = ServiceTokenList),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<ServiceTokenList>, AppError> {
    super_admin(&v)?;
    Ok(Json(ServiceTokenList {
        items: service_tokens::list(&s.pool).await?,
    }))
}

/// Revoke a service token: the gateway holding it is refused from now on.
#[utoipa::path(
    delete,
    path = "/api/v1/service-tokens/{id}",
    operation_id = "revoke_service_token",
    tag = "gateway",
    params(("id" = uuid::Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live token", body = ApiErrorBody),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn revoke(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    super_admin(&v)?;
    if service_tokens::revoke(&s.pool, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("Service token"))
    }
}
