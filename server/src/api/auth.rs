//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tollgate_app::backend::{Backend, ClientInfo, SessionToken};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller};
use super::openapi::ApiErrorBody;
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// The answer of a sign-in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub user: Viewer,
}

/// Sign in; the answer sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session", body = SignedIn),
        (status = 400, description = "Malformed JSON", body = ApiErrorBody),
        (status = 401, description = "Wrong username or password", body = ApiErrorBody),
        (status = 422, description = "Wrong shape", body = ApiErrorBody),
        (status = 429, description = "Too many failed sign-ins for this username or address (`too_many_attempts`); `Retry-After` gives the seconds to wait", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a sign-in is tried again"))),
    ),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, AppError> {
    let signed = state
        .services
        .sign_in(body.username.trim(), &body.password, client)
        .await?;
    Ok((
        [(header::SET_COOKIE, signed.set_cookie)],
        Json(SignedIn {
            user: signed.viewer,
        }),
    )
        .into_response())
}

/// Sign out: ends the session everywhere and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Signed out (also when no session was open)")),
    security(())
)]
pub async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
) -> Result<Response, AppError> {
    let clear = state
        .services
        .sign_out(token.as_ref().map(|t| t.0 .0.as_str()))
        .await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Who is calling.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Viewer),
        (status = 401, description = "Not signed in, or a bad bearer token", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn me(Caller(viewer): Caller) -> impl IntoResponse {
    Json(viewer)
}
