//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::{Backend, ClientInfo, SessionToken};
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller};
use crate::AppState;

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

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
        Json(serde_json::json!({ "user": signed.viewer })),
    )
        .into_response())
}

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

pub async fn me(Caller(viewer): Caller) -> impl IntoResponse {
    Json(viewer)
}
