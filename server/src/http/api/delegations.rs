//! `/api/v1/users/{id}/delegations…`: out of office. A person names a delegate for a period
//! (an admin may do it for someone in their org, a super admin for anyone); while it runs the
//! delegate is asked wherever the person would be, and decides "for" them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tollgate_app::dto::{DelegationDto, Delegations, NewDelegation};
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id, Ids};
use super::openapi::ApiErrorBody;
use crate::usecases::delegations;
use crate::AppState;

/// A person's delegations not yet over (where they are away and where they stand in), and how
/// many tickets waiting for them are handed over or stood in for.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/delegations",
    operation_id = "list_delegations",
    tag = "delegations",
    params(("id" = uuid::Uuid, Path, description = "The person (the caller's own id for themselves)")),
    responses(
        (status = 200, body = Delegations),
        (status = 404, description = "No such person the caller may act for", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(person): Id,
) -> Result<Json<Delegations>, AppError> {
    Ok(Json(delegations::list(&s.pool, &v, person).await?))
}

/// Name a delegate for a period. While it runs the delegate is asked on the person's tickets:
/// those opened meanwhile, and those already waiting when it starts (at once for one starting
/// now). A start in the past starts now.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/delegations",
    operation_id = "create_delegation",
    tag = "delegations",
    params(("id" = uuid::Uuid, Path, description = "The person who is away")),
    request_body = NewDelegation,
    responses(
        (status = 201, body = DelegationDto),
        (status = 404, description = "No such person the caller may act for", body = ApiErrorBody),
        (status = 422, description = "`delegate_id`: themselves, not an active person, or away themselves then; `starts_at`: overlaps another of the person's delegations; `ends_at`: not after the start, over already, or longer than 366 days", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(person): Id,
    ApiJson(body): ApiJson<NewDelegation>,
) -> Result<(StatusCode, Json<DelegationDto>), AppError> {
    let d = delegations::create(&s.pool, &v, person, body).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// End a delegation now (one not started yet is removed). Tickets already handed to the
/// delegate keep them.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/delegations/{delegation}",
    operation_id = "end_delegation",
    tag = "delegations",
    params(
        ("id" = uuid::Uuid, Path, description = "The person who is away"),
        ("delegation" = uuid::Uuid, Path),
    ),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such delegation not yet over, or person the caller may act for", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn end(
    State(s): State<AppState>,
    Caller(v): Caller,
    Ids(person, id): Ids,
) -> Result<StatusCode, AppError> {
    delegations::end(&s.pool, &v, person, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
