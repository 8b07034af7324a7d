//! `/api/v1/webhooks…`: receivers of signed event POSTs (super admins only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id, Ids};
use super::openapi::ApiErrorBody;
use super::responses::{SuperAdminOnly, UnknownWebhook};
use crate::usecases::webhooks::{self, CreatedWebhook, DeliveryDto, WebhookBody, WebhookDto};
use crate::AppState;

/// Every webhook.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "list_webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "Oldest first", body = Vec<WebhookDto>),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Vec<WebhookDto>>, AppError> {
    Ok(Json(webhooks::list(&s.pool, &v).await?))
}

/// Add a webhook. The secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "create_webhook",
    tag = "webhooks",
    request_body = WebhookBody,
    responses(
        (status = 201, description = "The webhook and its secret", body = CreatedWebhook),
        (status = 422, description = "A bad URL, secret or description", body = ApiErrorBody),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<impl IntoResponse, AppError> {
    let w = webhooks::create(&s.pool, &v, body, s.config.webhook_allow.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// One webhook.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    operation_id = "get_webhook",
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookDto),
        SuperAdminOnly,
        UnknownWebhook,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<WebhookDto>, AppError> {
    Ok(Json(webhooks::get(&s.pool, &v, id).await?))
}

/// Change a webhook's URL, secret, description or switch it on/off.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The webhook's id")),
    request_body = WebhookBody,
    responses(
        (status = 200, description = "The webhook", body = WebhookDto),
        (status = 422, description = "A bad value", body = ApiErrorBody),
        SuperAdminOnly,
        UnknownWebhook,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn update(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<Json<WebhookDto>, AppError> {
    Ok(Json(
        webhooks::update(&s.pool, &v, id, body, s.config.webhook_allow.as_ref()).await?,
    ))
}

/// Remove a webhook (its undelivered messages are dropped).
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Removed"),
        SuperAdminOnly,
        UnknownWebhook,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    webhooks::delete(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's latest deliveries (20), newest first: attempts, the outcome and why the last
/// attempt failed.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The deliveries", body = Vec<DeliveryDto>),
        SuperAdminOnly,
        UnknownWebhook,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn deliveries(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Vec<DeliveryDto>>, AppError> {
    Ok(Json(webhooks::deliveries(&s.pool, &v, id).await?))
}

/// Send a message that was not delivered (failed, given up, or waiting for its next attempt)
/// again now.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery}/send-again",
    operation_id = "send_webhook_delivery_again",
    tag = "webhooks",
    params(
        ("id" = uuid::Uuid, Path, description = "The webhook's id"),
        ("delivery" = uuid::Uuid, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 200, description = "The delivery, due now", body = DeliveryDto),
        (status = 409, description = "It was delivered (`already_delivered`)", body = ApiErrorBody),
        SuperAdminOnly,
        UnknownWebhook,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn send_again(
    State(s): State<AppState>,
    Caller(v): Caller,
    Ids(id, delivery): Ids,
) -> Result<Json<DeliveryDto>, AppError> {
    Ok(Json(webhooks::send_again(&s.pool, &v, id, delivery).await?))
}
