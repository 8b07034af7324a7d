//! `/api/v1/sign-in/…`: single sign-on settings and group mappings (super admins), and what
//! the sign-in page offers (anyone).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tollgate_app::admin_dto::{GroupMappingDto, NewGroupMapping, SignInOptions, SignInSettings};
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id};
use super::responses::{Conflict, SuperAdminOnly};
use crate::usecases::sso;
use crate::AppState;

/// What the sign-in page offers: the single sign-on button, the directory, the password form.
#[utoipa::path(
    get,
    path = "/api/v1/sign-in/options",
    operation_id = "sign_in_options",
    tag = "auth",
    responses((status = 200, description = "What the sign-in page offers", body = SignInOptions)),
    security(())
)]
pub async fn options(State(s): State<AppState>) -> Result<Json<SignInOptions>, AppError> {
    Ok(Json(sso::options(&s.pool).await?))
}

/// The sign-in settings: who may use a password, the OpenID Connect provider, the LDAP
/// directory. Secrets are never answered (`client_secret_set`, `bind_password_set`).
#[utoipa::path(
    get,
    path = "/api/v1/sign-in/settings",
    operation_id = "get_sign_in_settings",
    tag = "auth",
    responses(
        (status = 200, description = "The settings", body = SignInSettings),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_settings(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<SignInSettings>, AppError> {
    Ok(Json(sso::get(&s.pool, &v).await?))
}

/// Replace the sign-in settings. A secret left out (or empty) keeps the one kept.
#[utoipa::path(
    put,
    path = "/api/v1/sign-in/settings",
    operation_id = "put_sign_in_settings",
    tag = "auth",
    request_body = SignInSettings,
    responses(
        (status = 200, description = "The settings", body = SignInSettings),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn put_settings(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<SignInSettings>,
) -> Result<Json<SignInSettings>, AppError> {
    Ok(Json(sso::put(&s.pool, &v, body).await?))
}

/// Every group mapping.
#[utoipa::path(
    get,
    path = "/api/v1/sign-in/mappings",
    operation_id = "list_group_mappings",
    tag = "auth",
    responses(
        (status = 200, description = "By provider and group", body = Vec<GroupMappingDto>),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list_mappings(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Vec<GroupMappingDto>>, AppError> {
    Ok(Json(sso::mappings(&s.pool, &v).await?))
}

/// Map a group to an org membership (with its role) and/or to super admin. Applied at each
/// sign-in through that provider.
#[utoipa::path(
    post,
    path = "/api/v1/sign-in/mappings",
    operation_id = "create_group_mapping",
    tag = "auth",
    request_body = NewGroupMapping,
    responses(
        (status = 201, description = "Added", body = GroupMappingDto),
        SuperAdminOnly,
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_mapping(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(body): ApiJson<NewGroupMapping>,
) -> Result<(StatusCode, Json<GroupMappingDto>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(sso::add_mapping(&s.pool, &v, body).await?),
    ))
}

/// Remove a group mapping (the memberships it gave end at each person's next sign-in).
#[utoipa::path(
    delete,
    path = "/api/v1/sign-in/mappings/{id}",
    operation_id = "delete_group_mapping",
    tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete_mapping(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    sso::delete_mapping(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
