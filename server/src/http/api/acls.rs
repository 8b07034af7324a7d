//! `/api/v1/acls/login`, `/acls/login-asset`, `/acls/command-filter`: the ACLs that hold or
//! refuse sign-ins, connections and commands. Super admins edit all; org admins the
//! login-asset and command filter ACLs of their orgs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery, Caller, Id};
use super::openapi::ApiErrorBody;
use super::responses::{RuleChangeWaits, UnknownRule};
use crate::usecases::acls::{self, AclDto, AclInput, AclKind};
use crate::AppState;

/// A list of ACLs, in decision order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AclList {
    pub items: Vec<AclDto>,
    pub total: usize,
}

/// Filters of an ACL list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AclQuery {
    /// Only this org's rules (org kinds).
    #[serde(default)]
    org: Option<Uuid>,
}

async fn list(
    s: AppState,
    v: tollgate_app::model::Viewer,
    kind: AclKind,
    q: AclQuery,
) -> Result<Json<AclList>, AppError> {
    let items = acls::list(&s.pool, &v, kind, q.org).await?;
    Ok(Json(AclList {
        total: items.len(),
        items,
    }))
}

macro_rules! acl_routes {
    ($module:ident, $kind:expr, $path:literal, $item:literal, $what:literal) => {
        pub mod $module {
            use super::*;

            #[doc = concat!("The ", $what, " the caller may edit, in decision order.")]
            #[utoipa::path(
                get,
                path = $path,
                operation_id = concat!("list_", stringify!($module), "_acls"),
                tag = "acls",
                params(AclQuery),
                responses(
                    (status = 200, description = "The rules", body = AclList),
                    (status = 403, description = "Not an admin of these rules", body = ApiErrorBody),
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn list(
                State(s): State<AppState>,
                Caller(v): Caller,
                ApiQuery(q): ApiQuery<AclQuery>,
            ) -> Result<Json<AclList>, AppError> {
                super::list(s, v, $kind, q).await
            }

            #[doc = concat!("Make one of the ", $what, ".")]
            #[utoipa::path(
                post,
                path = $path,
                operation_id = concat!("create_", stringify!($module), "_acl"),
                tag = "acls",
                request_body = AclInput,
                responses(
                    (status = 201, description = "The rule", body = AclDto),
                    (status = 202, description = "An org admin's rule waits for a super admin's approval (a policy_change ticket)", body = Proposed),
                    RuleChangeWaits,
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn create(
                State(s): State<AppState>,
                Caller(v): Caller,
                ApiJson(body): ApiJson<AclInput>,
            ) -> Result<impl IntoResponse, AppError> {
                Ok(written(acls::create(&s.pool, &v, $kind, body).await?, StatusCode::CREATED))
            }

            #[doc = concat!("One of the ", $what, ".")]
            #[utoipa::path(
                get,
                path = $item,
                operation_id = concat!("get_", stringify!($module), "_acl"),
                tag = "acls",
                params(("id" = uuid::Uuid, Path, description = "The rule's id")),
                responses(
                    (status = 200, description = "The rule", body = AclDto),
                    UnknownRule,
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn get(
                State(s): State<AppState>,
                Caller(v): Caller,
                Id(id): Id,
            ) -> Result<Json<AclDto>, AppError> {
                Ok(Json(acls::get(&s.pool, &v, $kind, id).await?))
            }

            #[doc = concat!("Change some fields of one of the ", $what, ".")]
            #[utoipa::path(
                patch,
                path = $item,
                operation_id = concat!("patch_", stringify!($module), "_acl"),
                tag = "acls",
                params(("id" = uuid::Uuid, Path, description = "The rule's id")),
                request_body(content = Object, description = "Any fields of the rule"),
                responses(
                    (status = 200, description = "The rule after it", body = AclDto),
                    (status = 202, description = "An org admin's change waits for a super admin's approval (a policy_change ticket)", body = Proposed),
                    (status = 403, description = "Moving it to an org the caller does not admin", body = ApiErrorBody),
                    RuleChangeWaits, UnknownRule,
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn patch(
                State(s): State<AppState>,
                Caller(v): Caller,
                Id(id): Id,
                ApiJson(body): ApiJson<serde_json::Value>,
            ) -> Result<axum::response::Response, AppError> {
                Ok(written(acls::update(&s.pool, &v, $kind, id, body, false).await?, StatusCode::OK))
            }

            #[doc = concat!("Replace one of the ", $what, ".")]
            #[utoipa::path(
                put,
                path = $item,
                operation_id = concat!("put_", stringify!($module), "_acl"),
                tag = "acls",
                params(("id" = uuid::Uuid, Path, description = "The rule's id")),
                request_body = AclInput,
                responses(
                    (status = 200, description = "The rule after it", body = AclDto),
                    (status = 202, description = "An org admin's change waits for a super admin's approval (a policy_change ticket)", body = Proposed),
                    (status = 403, description = "Moving it to an org the caller does not admin", body = ApiErrorBody),
                    RuleChangeWaits, UnknownRule,
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn put(
                State(s): State<AppState>,
                Caller(v): Caller,
                Id(id): Id,
                ApiJson(body): ApiJson<serde_json::Value>,
            ) -> Result<axum::response::Response, AppError> {
                Ok(written(acls::update(&s.pool, &v, $kind, id, body, true).await?, StatusCode::OK))
            }

            #[doc = concat!("Delete one of the ", $what, ".")]
            #[utoipa::path(
                delete,
                path = $item,
                operation_id = concat!("delete_", stringify!($module), "_acl"),
                tag = "acls",
                params(("id" = uuid::Uuid, Path, description = "The rule's id")),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 202, description = "An org admin's removal waits for a super admin's approval (a policy_change ticket)", body = Proposed),
                    RuleChangeWaits, UnknownRule,
                ),
                security(("cookie" = []), ("bearer" = []))
            )]
            pub async fn delete(
                State(s): State<AppState>,
                Caller(v): Caller,
                Id(id): Id,
            ) -> Result<axum::response::Response, AppError> {
                Ok(match acls::delete(&s.pool, &v, $kind, id).await? {
                    Some(p) => (StatusCode::ACCEPTED, Json(Proposed { pending_change: p })).into_response(),
                    None => StatusCode::NO_CONTENT.into_response(),
                })
            }
        }
    };
}

/// What an org admin's rule change answers: the ticket that waits for a super admin.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Proposed {
    pub pending_change: tollgate_app::dto::PendingChange,
}

/// A rule change applied (`status`, the rule) or proposed (202, the waiting ticket).
fn written(w: acls::AclWrite, status: StatusCode) -> axum::response::Response {
    match w {
        acls::AclWrite::Done(d) => (status, Json(d)).into_response(),
        acls::AclWrite::Pending(p) => {
            (StatusCode::ACCEPTED, Json(Proposed { pending_change: p })).into_response()
        }
    }
}

acl_routes!(
    login,
    AclKind::Login,
    "/api/v1/acls/login",
    "/api/v1/acls/login/{id}",
    "login ACLs"
);
acl_routes!(
    login_asset,
    AclKind::LoginAsset,
    "/api/v1/acls/login-asset",
    "/api/v1/acls/login-asset/{id}",
    "login-asset ACLs"
);
acl_routes!(
    command_filter,
    AclKind::CommandFilter,
    "/api/v1/acls/command-filter",
    "/api/v1/acls/command-filter/{id}",
    "command filter ACLs"
);
