//! `/api/v1/notifications…`: the caller's in-app notifications.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::Notifications;
use tollgate_app::notifications::*;
use tollgate_app::AppError;

use super::extract::{ApiQuery, Caller, Id, OptionalJson};
use super::openapi::ApiErrorBody;
use crate::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones (default false).
    #[serde(default)]
    unread: Option<bool>,
    /// 1-based page (default 1).
    #[serde(default)]
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    page: Option<u32>,
    /// 1 to 100 (default 20).
    #[serde(default)]
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    per_page: Option<u32>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "list_notifications",
    tag = "notifications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationList),
        (status = 422, description = "A bad page or per_page", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<NotificationList>, AppError> {
    Ok(Json(
        s.services
            .notifications(
                &v,
                q.unread.unwrap_or(false),
                q.page.unwrap_or(1),
                q.per_page.unwrap_or(20),
            )
            .await?,
    ))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    operation_id = "unread_notifications",
    tag = "notifications",
    responses(
        (status = 200, description = "The count", body = UnreadCount),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn unread_count(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<UnreadCount>, AppError> {
    Ok(Json(UnreadCount {
        unread: s.services.unread_notifications(&v).await?,
    }))
}

/// Mark one notification read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    operation_id = "read_notification",
    tag = "notifications",
    params(("id" = uuid::Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, read", body = NotificationDto),
        (status = 404, description = "No such notification of the caller's", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn read_one(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<NotificationDto>, AppError> {
    Ok(Json(s.services.mark_notification_read(&v, id).await?))
}

/// Which notifications "mark all read" marks.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadAllBody {
    /// Only those of this ticket (default: all).
    #[serde(default)]
    pub ticket_id: Option<uuid::Uuid>,
}

/// Mark all of the caller's notifications read (or all of one ticket's).
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read",
    operation_id = "read_all_notifications",
    tag = "notifications",
    request_body(content = Option<ReadAllBody>, description = "Optional; `{}` marks everything"),
    responses(
        (status = 200, description = "How many were marked", body = MarkedRead),
        (status = 422, description = "A bad body", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn read_all(
    State(s): State<AppState>,
    Caller(v): Caller,
    OptionalJson(body): OptionalJson<ReadAllBody>,
) -> Result<Json<MarkedRead>, AppError> {
    let ticket = body.ticket_id;
    Ok(Json(MarkedRead {
        marked: s.services.mark_all_notifications_read(&v, ticket).await?,
    }))
}
