//! `GET /metrics` (Prometheus text, behind `TOLLGATE_METRICS_TOKEN`, or on its own address
//! `TOLLGATE_METRICS_ADDR`) and the middleware that
//! counts and times every request by its route pattern (metrics.rs holds the numbers).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tollgate_app::AppError;

use crate::metrics::{RequestLabels, RouteLabels};
use crate::AppState;

/// Counts the request and its time by route pattern, method and status.
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    s.metrics
        .request_seconds
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    s.metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The router of `TOLLGATE_METRICS_ADDR`: `GET /metrics` only, no token (the address is the
/// guard).
pub fn private_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve_private))
        .with_state(state)
}

async fn serve_private(State(s): State<AppState>) -> Result<Response, AppError> {
    render(&s).await
}

/// The text Prometheus scrapes, as an answer.
async fn render(s: &AppState) -> Result<Response, AppError> {
    let text = s.metrics.render(&s.pool).await?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /metrics`: 404 while no token is configured, 401 without the right bearer token.
pub async fn serve(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(token) = s.config.metrics_token.as_deref() else {
        return Err(AppError::new(
            404,
            "not_found",
            "Metrics are off: set TOLLGATE_METRICS_TOKEN to serve them.",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as digests, so the time taken says nothing of how much matched.
    if crate::identity::digest::of(given) != crate::identity::digest::of(token) {
        return Err(AppError::new(
            401,
            "unauthorized",
            "Send the metrics token as `Authorization: Bearer …`.",
        ));
    }
    render(&s).await
}
