//! `/api/v1/tickets…`

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use tollgate_app::backend::Backend;
use tollgate_app::dto::*;
use tollgate_app::AppError;

use super::extract::{ApiJson, ApiQuery, Caller, Id, OptionalJson};
use crate::AppState;

pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<Page<TicketSummary>>, AppError> {
    Ok(Json(s.services.list_tickets(&v, q).await?))
}

pub async fn open(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<OpenTicket>,
) -> Result<impl IntoResponse, AppError> {
    let t = s.services.open_ticket(&v, body).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

pub async fn get(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.ticket_detail(&v, id).await?.ticket))
}

fn or_default<T>(body: OptionalJson<T>) -> T {
    body.0
}

pub async fn approve(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    body: OptionalJson<ApproveBody>,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.approve(&v, id, or_default(body)).await?))
}

pub async fn reject(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    body: OptionalJson<CommentOnly>,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.reject(&v, id, or_default(body)).await?))
}

pub async fn close(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    body: OptionalJson<CommentOnly>,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.close(&v, id, or_default(body)).await?))
}

pub async fn comments(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Vec<CommentDto>>, AppError> {
    Ok(Json(s.services.ticket_detail(&v, id).await?.comments))
}

pub async fn add_comment(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<NewComment>,
) -> Result<impl IntoResponse, AppError> {
    let c = s.services.add_comment(&v, id, body).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

pub async fn events(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Vec<EventDto>>, AppError> {
    Ok(Json(s.services.ticket_detail(&v, id).await?.events))
}

pub async fn bulk(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let results = s.services.bulk(&v, body).await?;
    Ok(Json(serde_json::json!({ "results": results })))
}

pub async fn inbox_count(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(
        serde_json::json!({ "count": s.services.inbox_count(&v).await? }),
    ))
}
