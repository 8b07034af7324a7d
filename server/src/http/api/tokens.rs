//! `/api/v1/tokens…`: the caller's personal API tokens.
//!
//! Making a token needs a signed-in browser session: a request authenticated by a bearer token
//! may list and revoke the caller's tokens but not make new ones (403), so a leaked token cannot
//! mint successors that outlive its revocation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id};
use super::openapi::ApiErrorBody;
use crate::identity::tokens::{self, BearerAuth, CreatedToken, TokenInfo};
use crate::AppState;

/// A new token's name, e.g. what script uses it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    /// 1 to 64 characters.
    pub name: String,
    /// Decisions made with this token count as made with a fresh second factor (levels that ask
    /// for one accept it). Needs `second_factor_code`.
    #[serde(default)]
    pub for_approvals: bool,
    /// A code of the caller's authenticator app (or a recovery code), for `for_approvals`.
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// Make a personal API token. The secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    operation_id = "create_token",
    tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, with its secret (shown this once)", body = CreatedToken),
        (status = 403, description = "Asked with a bearer token: tokens are made from a browser session; or `wrong_code`: the second factor code is wrong or used", body = ApiErrorBody),
        (status = 409, description = "Too many live tokens", body = ApiErrorBody),
        (status = 422, description = "Bad name, or `for_approvals` without a code", body = ApiErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong codes; see `Retry-After`", body = ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<impl IntoResponse, AppError> {
    if bearer.is_some() {
        return Err(AppError::forbidden(
            "API tokens can only be made while signed in, not with another token.",
        ));
    }
    let name = tokens::check_name(&body.name)?;
    if body.for_approvals {
        let code = body.second_factor_code.as_deref();
        if crate::identity::step_up::code(&s.pool, &s.config, &v, code)
            .await?
            .is_none()
        {
            return Err(AppError::invalid(
                "second_factor_code",
                "A token for approvals is made with a code of your authenticator app.",
            ));
        }
    }
    let t = tokens::create(&s.pool, v.id, &name, body.for_approvals).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// The caller's live tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "list_tokens",
    tag = "tokens",
    responses(
        (status = 200, description = "Newest first", body = Vec<TokenInfo>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Vec<TokenInfo>>, AppError> {
    Ok(Json(tokens::list(&s.pool, v.id).await?))
}

/// Revoke one of the caller's tokens; it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    operation_id = "revoke_token",
    tag = "tokens",
    params(("id" = uuid::Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live token of the caller's", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn revoke(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    if tokens::revoke(&s.pool, v.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("Token"))
    }
}
