//! `/api/v1/me/second-factor…`: the caller's authenticator app (set up, confirm, remove), and a
//! super admin's reset of another person's (`/api/v1/users/{id}/second-factor`).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use tollgate_app::admin_dto::{RecoveryCodes, SecondFactorCode, SecondFactorStatus, TotpEnrolment};
use tollgate_app::backend::ClientInfo;
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id};
use super::responses::SuperAdminOnly;
use crate::identity::second_factor as factor;
use crate::identity::tokens::BearerAuth;
use crate::AppState;

/// Setting up or removing a second factor needs a browser session, not an API token.
pub(super) fn session_only(bearer: &Option<Extension<BearerAuth>>) -> Result<(), AppError> {
    if bearer.is_some() {
        return Err(AppError::new(
            403,
            "session_required",
            "A second factor is set up or removed while signed in in a browser, not with an API token.",
        ));
    }
    Ok(())
}

/// Whether the caller has a second factor, how many recovery codes are left, and what happened
/// to it (set up, removed, reset, recovery codes used).
#[utoipa::path(
    get,
    path = "/api/v1/me/second-factor",
    operation_id = "get_second_factor",
    tag = "auth",
    responses((status = 200, description = "The caller's second factor", body = SecondFactorStatus)),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn status(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<SecondFactorStatus>, AppError> {
    Ok(Json(factor::status(&s.pool, &s.config, v.id).await?))
}

/// Another person's second factor and its history, for a super admin (before a reset, or to
/// see who reset it).
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/second-factor",
    operation_id = "get_users_second_factor",
    tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "Their second factor", body = SecondFactorStatus),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn of_user(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<SecondFactorStatus>, AppError> {
    crate::usecases::admin::require_super(&v)?;
    if !crate::store::users::exists(&s.pool, id).await? {
        return Err(AppError::not_found("User"));
    }
    Ok(Json(factor::status(&s.pool, &s.config, id).await?))
}

/// Start setting up an authenticator app: its secret and QR code. Not active until a code
/// confirms it; starting again replaces an unconfirmed secret.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-factor/totp",
    operation_id = "begin_totp",
    tag = "auth",
    responses(
        (status = 200, description = "Scan the QR code or type the secret, then confirm a code", body = TotpEnrolment),
        (status = 403, description = "Through an API token (`session_required`)", body = super::openapi::ApiErrorBody),
        (status = 409, description = "An authenticator is active already (`second_factor_active`)", body = super::openapi::ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn begin(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
) -> Result<Json<TotpEnrolment>, AppError> {
    session_only(&bearer)?;
    let e = factor::begin(&s.pool, v.id, &v.username).await?;
    Ok(Json(TotpEnrolment {
        secret: e.secret,
        otpauth_uri: e.uri,
        qr_code: factor::data_uri(&e.qr_svg),
    }))
}

/// Confirm the authenticator with a code it shows: it is asked at every sign-in from now on.
/// The answer holds ten recovery codes, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-factor/totp/confirm",
    operation_id = "confirm_totp",
    tag = "auth",
    request_body = SecondFactorCode,
    responses(
        (status = 200, description = "Active; the recovery codes", body = RecoveryCodes),
        (status = 401, description = "Wrong or used code (`wrong_code`)", body = super::openapi::ApiErrorBody),
        (status = 403, description = "Through an API token (`session_required`)", body = super::openapi::ApiErrorBody),
        (status = 409, description = "Nothing is being set up, or it is active already", body = super::openapi::ApiErrorBody),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = super::openapi::ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn confirm(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    Extension(client): Extension<ClientInfo>,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> Result<Json<RecoveryCodes>, AppError> {
    session_only(&bearer)?;
    let codes =
        factor::confirm(&s.pool, &s.config, v.id, &v.username, &body.code, client.ip).await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Remove the caller's authenticator, with a fresh code or a recovery code.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-factor/remove",
    operation_id = "remove_second_factor",
    tag = "auth",
    request_body = SecondFactorCode,
    responses(
        (status = 204, description = "Removed: sign-in asks for the password alone"),
        (status = 401, description = "Wrong or used code (`wrong_code`)", body = super::openapi::ApiErrorBody),
        (status = 403, description = "Through an API token (`session_required`)", body = super::openapi::ApiErrorBody),
        (status = 404, description = "No second factor is active", body = super::openapi::ApiErrorBody),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = super::openapi::ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn remove(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    Extension(client): Extension<ClientInfo>,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> Result<StatusCode, AppError> {
    session_only(&bearer)?;
    factor::remove_own(&s.pool, &s.config, v.id, &v.username, &body.code, client.ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reset another person's second factor (a lost phone without recovery codes). Super admins.
/// The person's sessions and API tokens end; they sign in with the password alone next.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/second-factor",
    operation_id = "reset_second_factor",
    tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Reset"),
        SuperAdminOnly,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn reset(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    crate::usecases::admin::require_super(&v)?;
    factor::reset(
        &s.pool,
        factor::ResetBy::SuperAdmin {
            id: v.id,
            name: &v.display_name,
        },
        id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
