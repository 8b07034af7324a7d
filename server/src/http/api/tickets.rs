//! `/api/v1/tickets…`

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use tollgate_app::backend::Backend;
use tollgate_app::dto::*;
use tollgate_app::AppError;

use super::extract::{ApiJson, ApiQuery, Caller, Id, OptionalJson};
use super::openapi::ApiErrorBody;
use super::responses::{StepUpRefused, UnknownOrg, UnknownTicket, WrongState};
use crate::AppState;

/// The answer of a bulk request.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkResults {
    pub results: Vec<BulkResult>,
}

/// The answer of `/tickets/inbox-count`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxCount {
    pub count: i64,
}

/// Tickets the caller may see, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    operation_id = "list_tickets",
    tag = "tickets",
    params(TicketQuery),
    responses(
        (status = 200, description = "A page of tickets", body = Page<TicketSummary>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<Page<TicketSummary>>, AppError> {
    Ok(Json(s.services.list_tickets(&v, q).await?))
}

/// Open a ticket (an `apply_asset` request).
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    operation_id = "open_ticket",
    tag = "tickets",
    request_body = OpenTicket,
    responses(
        (status = 201, description = "The new ticket", body = TicketDto),
        (status = 403, description = "Not allowed to apply in this org", body = ApiErrorBody),
        UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn open(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<OpenTicket>,
) -> Result<impl IntoResponse, AppError> {
    let t = s.services.open_ticket(&v, body).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One ticket, with what the caller may do on it.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    operation_id = "get_ticket",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = TicketDto),
        UnknownTicket,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
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

/// Approve the current level, optionally editing the request.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/approve",
    operation_id = "approve_ticket",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    request_body(content = Option<ApproveBody>, description = "May be left out"),
    responses(
        (status = 200, description = "The ticket after it", body = TicketDto),
        UnknownTicket,
        WrongState,
        StepUpRefused,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn approve(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    body: OptionalJson<ApproveBody>,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.approve(&v, id, or_default(body)).await?))
}

/// Reject the ticket.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/reject",
    operation_id = "reject_ticket",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    request_body(content = Option<RejectBody>, description = "May be left out"),
    responses(
        (status = 200, description = "The ticket after it", body = TicketDto),
        UnknownTicket,
        WrongState,
        StepUpRefused,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn reject(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    body: OptionalJson<RejectBody>,
) -> Result<Json<TicketDto>, AppError> {
    Ok(Json(s.services.reject(&v, id, or_default(body)).await?))
}

/// Close (or, as its applicant, withdraw) the ticket.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/close",
    operation_id = "close_ticket",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    request_body(content = Option<CommentOnly>, description = "May be left out"),
    responses(
        (status = 200, description = "The ticket after it", body = TicketDto),
        UnknownTicket,
        WrongState,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn close(
    State(s): State<AppState>,
    p: super::gateway::Principal,
    Id(id): Id,
    body: OptionalJson<CommentOnly>,
) -> Result<Json<TicketDto>, AppError> {
    match p {
        super::gateway::Principal::User(v) => {
            Ok(Json(s.services.close(&v, id, or_default(body)).await?))
        }
        // A gateway withdraws a ticket it opened, for its user.
        super::gateway::Principal::Gateway(g) => Ok(Json(
            crate::usecases::gateway::withdraw(
                &s.pool,
                &g,
                id,
                or_default(body).comment.unwrap_or_default(),
            )
            .await?,
        )),
    }
}

/// The ticket's thread, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/comments",
    operation_id = "list_comments",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The comments", body = Vec<CommentDto>),
        UnknownTicket,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn comments(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Vec<CommentDto>>, AppError> {
    Ok(Json(s.services.ticket_detail(&v, id).await?.comments))
}

/// Write in the ticket's thread.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/comments",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    request_body = NewComment,
    responses(
        (status = 201, description = "The comment", body = CommentDto),
        (status = 409, description = "The ticket is closed: no more comments (`already_closed`)", body = ApiErrorBody),
        UnknownTicket,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn add_comment(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<NewComment>,
) -> Result<impl IntoResponse, AppError> {
    let c = s.services.add_comment(&v, id, body).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The ticket's history, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/events",
    operation_id = "list_events",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The events", body = Vec<EventDto>),
        UnknownTicket,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn events(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Vec<EventDto>>, AppError> {
    Ok(Json(s.services.ticket_detail(&v, id).await?.events))
}

/// Approve or reject several tickets; each gets its own outcome.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/bulk",
    operation_id = "bulk_decide",
    tag = "tickets",
    request_body = BulkBody,
    responses(
        (status = 200, description = "One result per id (a ticket whose level asks for a fresh second factor, without one, fails with `step_up_required`)", body = BulkResults),
        StepUpRefused,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn bulk(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<BulkResults>, AppError> {
    let results = s.services.bulk(&v, body).await?;
    Ok(Json(BulkResults { results }))
}

/// How many tickets wait for the caller's approval.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/inbox-count",
    tag = "tickets",
    responses(
        (status = 200, description = "The count", body = InboxCount),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn inbox_count(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<InboxCount>, AppError> {
    Ok(Json(InboxCount {
        count: s.services.inbox_count(&v).await?,
    }))
}
