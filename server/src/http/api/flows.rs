//! `/api/v1/flows…`

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::Backend;
use tollgate_app::dto::{FlowDto, Page, PreviewLevel};
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery, Caller};
use super::openapi::ApiErrorBody;
use super::responses::{FlowAccess, UnknownOrg};
use crate::AppState;
use tollgate_core::TicketType;

/// The approval flows the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/flows",
    operation_id = "list_flows",
    tag = "flows",
    responses(
        (status = 200, description = "All of them, one page", body = Page<FlowDto>),
        FlowAccess,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Page<FlowDto>>, AppError> {
    Ok(Json(Page::whole(s.services.list_flows(&v).await?)))
}

/// The flow of one scope and ticket type (an org without its own shows the global one).
#[utoipa::path(
    get,
    path = "/api/v1/flows/{scope}/{type}",
    operation_id = "get_flow",
    tag = "flows",
    params(
        ("scope" = String, Path, description = "`global` or an org id"),
        ("type" = TicketType, Path, description = "The ticket type, e.g. `apply_asset`"),
    ),
    responses(
        (status = 200, description = "The flow", body = FlowDto),
        (status = 422, description = "A ticket type that follows no flow (the ACL's reviewers decide)", body = ApiErrorBody),
        FlowAccess, UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    Caller(v): Caller,
    Path((scope, t)): Path<(String, String)>,
) -> Result<Json<FlowDto>, AppError> {
    Ok(Json(s.services.get_flow(&v, &scope, &t).await?))
}

/// Set the flow of one scope and ticket type.
#[utoipa::path(
    put,
    path = "/api/v1/flows/{scope}/{type}",
    operation_id = "put_flow",
    tag = "flows",
    params(
        ("scope" = String, Path, description = "`global` or an org id"),
        ("type" = TicketType, Path, description = "The ticket type, e.g. `apply_asset`"),
    ),
    request_body = tollgate_core::Flow,
    responses(
        (status = 200, description = "The flow as saved", body = FlowDto),
        (status = 409, description = "Changed concurrently, or a change already waits for approval (`change_pending`)", body = ApiErrorBody),
        (status = 422, description = "An invalid flow", body = ApiErrorBody),
        FlowAccess, UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn put(
    State(s): State<AppState>,
    Caller(v): Caller,
    Path((scope, t)): Path<(String, String)>,
    ApiJson(flow): ApiJson<tollgate_core::Flow>,
) -> Result<Json<FlowDto>, AppError> {
    Ok(Json(s.services.put_flow(&v, &scope, &t, flow).await?))
}

/// Remove an org's own flow (the global one applies again).
#[utoipa::path(
    delete,
    path = "/api/v1/flows/{scope}/{type}",
    operation_id = "delete_flow",
    tag = "flows",
    params(
        ("scope" = String, Path, description = "`global` or an org id"),
        ("type" = TicketType, Path, description = "The ticket type, e.g. `apply_asset`"),
    ),
    responses(
        (status = 200, description = "The flow that applies now", body = FlowDto),
        (status = 409, description = "A change of this flow already waits for approval (`change_pending`)", body = ApiErrorBody),
        (status = 422, description = "The global flow cannot be removed", body = ApiErrorBody),
        FlowAccess, UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete(
    State(s): State<AppState>,
    Caller(v): Caller,
    Path((scope, t)): Path<(String, String)>,
) -> Result<Json<FlowDto>, AppError> {
    Ok(Json(s.services.delete_flow(&v, &scope, &t).await?))
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    applicant: Uuid,
}

/// Who would be asked at each level if `applicant` opened a ticket now.
#[utoipa::path(
    get,
    path = "/api/v1/flows/{scope}/{type}/preview",
    operation_id = "preview_flow",
    tag = "flows",
    params(
        ("scope" = String, Path, description = "`global` or an org id"),
        ("type" = TicketType, Path, description = "The ticket type, e.g. `apply_asset`"),
        ("applicant" = uuid::Uuid, Query, description = "The would-be applicant"),
    ),
    responses(
        (status = 200, description = "One entry per level", body = Vec<PreviewLevel>),
        (status = 422, description = "No such applicant", body = ApiErrorBody),
        FlowAccess, UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn preview(
    State(s): State<AppState>,
    Caller(v): Caller,
    Path((scope, t)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<Vec<PreviewLevel>>, AppError> {
    Ok(Json(
        s.services
            .preview_flow(&v, &scope, &t, None, q.applicant)
            .await?,
    ))
}
