//! The REST API under `/api/v1` (SPEC §8). Handlers parse, call a use-case, and answer JSON;
//! every failure is an [`AppError`] with the right status.

pub mod auth;
pub mod extract;

use axum::routing::{get, post};
use axum::Router;
use tollgate_app::AppError;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .fallback(|| async { AppError::not_found("API endpoint") })
}
