//! The HTTP edge: the router, the REST API and its OpenAPI document, the pages' server
//! functions' door to the use-cases, middleware, security headers, the listener, and the
//! mail-link pages. Handlers parse, call a use-case and answer; they hold no SQL.

pub mod api;
pub mod backend;
pub mod mail_links;
pub mod metrics;
pub mod middleware;
pub mod security;
pub mod serve;
pub mod sso;
pub mod welcome;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tollgate_app::backend::{Backend, BackendHandle};
use tollgate_app::{shell, App};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The whole HTTP surface: API, pages, server functions, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend = BackendHandle(state.services.clone() as Arc<dyn Backend>);
    let notes = tollgate_app::backend::NotificationsHandle(
        state.services.clone() as Arc<dyn tollgate_app::backend::Notifications>
    );
    let leptos_options = state.leptos.clone();
    // The build writes a gzip copy of every file (scripts/build.sh): sent to browsers that
    // accept it, with no compression work per request.
    let pkg = ServeDir::new(state.config.site_root.join("pkg")).precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/api/openapi.json", get(api::openapi::serve))
        .nest("/api/v1", api::routes())
        .route("/mail/{token}", get(mail_links::show).post(mail_links::act))
        .route("/welcome/{token}", get(welcome::show).post(welcome::choose))
        .route("/auth/oidc/start", get(sso::start))
        .route("/auth/oidc/callback", get(sso::callback))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(backend.clone());
                provide_context(notes.clone());
            },
            move || shell(leptos_options.clone()),
        )
        .nest_service("/pkg", pkg)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        // Its bearer token is the metrics token, not a person's: outside the sign-in layer.
        .route("/metrics", get(metrics::serve))
        .layer(axum::middleware::from_fn(middleware::sfn_status))
        .layer(axum::middleware::from_fn(security::protect))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::store::ping(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// Ready for traffic: the database answers and has every migration of this binary; 503 with the
/// reason otherwise (and while the instance is stopping).
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if crate::store::live::is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    match crate::store::migrations_applied(&state.pool).await {
        Ok(true) => (StatusCode::OK, "ready"),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "migrations not applied yet",
        ),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn favicon() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "image/svg+xml")],
        include_str!("../../../style/favicon.svg"),
    )
}
