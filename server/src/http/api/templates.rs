//! `/api/v1/orgs/{org}/templates…`: an org's request templates (named starting points for a
//! new access request). Its members and super admins read them; its admins and super admins
//! save and remove them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tollgate_app::dto::TemplateDto;
use tollgate_app::AppError;
use tollgate_core::template::TemplateForm;

use super::extract::{ApiJson, Caller, Id, Ids};
use super::openapi::ApiErrorBody;
use crate::usecases::templates;
use crate::AppState;

/// The org's request templates, by name.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{id}/templates",
    operation_id = "list_templates",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The org")),
    responses(
        (status = 200, body = Vec<TemplateDto>),
        (status = 404, description = "Not an org the caller belongs to", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(org): Id,
) -> Result<Json<Vec<TemplateDto>>, AppError> {
    Ok(Json(templates::list(&s.pool, &v, org).await?))
}

/// Save a request template: what it asks for is checked as a request is, and must be the
/// org's.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{id}/templates",
    operation_id = "create_template",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The org")),
    request_body = TemplateForm,
    responses(
        (status = 201, body = TemplateDto),
        (status = 403, description = "Not an admin of the org", body = ApiErrorBody),
        (status = 404, description = "Not an org the caller belongs to", body = ApiErrorBody),
        (status = 422, description = "A field is wrong (`name`, taken or empty; `period_days`; `reason_hint`; `nodes`, `assets`, `accounts`, `actions`)", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(org): Id,
    ApiJson(form): ApiJson<TemplateForm>,
) -> Result<(StatusCode, Json<TemplateDto>), AppError> {
    let t = templates::create(&s.pool, &v, org, form).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Remove a request template.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{id}/templates/{template}",
    operation_id = "delete_template",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The org"), ("template" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an admin of the org", body = ApiErrorBody),
        (status = 404, description = "No such template in an org the caller belongs to", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete(
    State(s): State<AppState>,
    Caller(v): Caller,
    Ids(org, id): Ids,
) -> Result<StatusCode, AppError> {
    templates::delete(&s.pool, &v, org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
