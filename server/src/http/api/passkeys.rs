//! `/api/v1/me/passkeys…`: the caller's passkeys and security keys (register, rename,
//! remove), and the challenges a browser answers with one (`…/second-factor/passkey-challenge`)
//! or that confirm it is the caller before a change (`…/second-factor/verify`).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use tollgate_app::admin_dto::{NewPasskey, PasskeyDto, PasskeyName, SecondFactorCode};
use tollgate_app::AppError;

use super::extract::{ApiJson, Caller, Id};
use super::openapi::ApiErrorBody;
use super::second_factor::session_only;
use crate::identity::passkeys;
use crate::identity::tokens::BearerAuth;
use crate::AppState;

/// Start registering a passkey: the options for `navigator.credentials.create` (read them with
/// `PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey)`), good for five
/// minutes. Then `POST /api/v1/me/passkeys` with the browser's answer.
#[utoipa::path(
    post,
    path = "/api/v1/me/passkeys/options",
    operation_id = "passkey_registration_options",
    tag = "auth",
    responses(
        (status = 200, description = "`{publicKey: …}` as WebAuthn's JSON form", body = Object),
        (status = 403, description = "Through an API token (`session_required`); or (`step_up_required`) the person has a second factor and this session has not given one within the step-up window: confirm first (`POST /api/v1/me/second-factor/verify`)", body = ApiErrorBody),
        (status = 409, description = "This server is reached by an IP address (`passkeys_unavailable`)", body = ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn options(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
) -> Result<Json<Value>, AppError> {
    session_only(&bearer)?;
    Ok(Json(
        passkeys::registration_options(&s.pool, &s.config, &v).await?,
    ))
}

/// Register a passkey: the browser's answer (`PublicKeyCredential.toJSON()`) and its name.
/// Someone who has a second factor already confirms it is them first (a code, a recovery code or
/// another passkey, within the step-up window, or in `second_factor_code`).
#[utoipa::path(
    post,
    path = "/api/v1/me/passkeys",
    operation_id = "register_passkey",
    tag = "auth",
    request_body = NewPasskey,
    responses(
        (status = 201, description = "Registered: it is asked for at sign-in from now on", body = PasskeyDto),
        (status = 403, description = "Through an API token (`session_required`); no fresh second factor (`step_up_required`); a wrong one (`wrong_code`)", body = ApiErrorBody),
        (status = 409, description = "No registration begun, or its five minutes are over (`no_ceremony`); registered already; passkeys unavailable", body = ApiErrorBody),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn register(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    ApiJson(body): ApiJson<NewPasskey>,
) -> Result<(StatusCode, Json<PasskeyDto>), AppError> {
    session_only(&bearer)?;
    let p = passkeys::register(&s.pool, &s.config, &v, body).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Rename one of the caller's passkeys.
#[utoipa::path(
    patch,
    path = "/api/v1/me/passkeys/{id}",
    operation_id = "rename_passkey",
    tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    request_body = PasskeyName,
    responses(
        (status = 200, description = "Renamed", body = PasskeyDto),
        (status = 404, description = "No such passkey of the caller's", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn rename(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<PasskeyName>,
) -> Result<Json<PasskeyDto>, AppError> {
    Ok(Json(passkeys::rename(&s.pool, &v, id, &body.name).await?))
}

/// Remove one of the caller's passkeys, after confirming it is them
/// (`POST /api/v1/me/second-factor/verify` within the step-up window).
#[utoipa::path(
    delete,
    path = "/api/v1/me/passkeys/{id}",
    operation_id = "remove_passkey",
    tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Through an API token (`session_required`), or no fresh second factor (`step_up_required`)", body = ApiErrorBody),
        (status = 404, description = "No such passkey of the caller's", body = ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn remove(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    session_only(&bearer)?;
    passkeys::remove(&s.pool, &s.config, &v, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A challenge to answer with one of the caller's passkeys: the options for
/// `navigator.credentials.get` (`PublicKeyCredential.parseRequestOptionsFromJSON`). The
/// assertion (`toJSON()`, as a string) then goes where a code goes: `second_factor_code` of a
/// decision, or `code` of `POST /api/v1/me/second-factor/verify`.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-factor/passkey-challenge",
    operation_id = "own_passkey_challenge",
    tag = "auth",
    responses(
        (status = 200, description = "`{publicKey: …}` as WebAuthn's JSON form, good for five minutes", body = Object),
        (status = 404, description = "The caller has no passkey (`no_passkeys`)", body = ApiErrorBody),
        (status = 409, description = "Passkeys unavailable on this server", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn challenge(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Value>, AppError> {
    Ok(Json(passkeys::challenge(&s.pool, &s.config, v.id).await?))
}

/// Confirm it is the caller with a second factor (a code, a recovery code or a passkey's
/// assertion): this browser session counts as fresh for the step-up window, to add or remove a
/// passkey, or to decide where a level asks for it.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-factor/verify",
    operation_id = "verify_second_factor",
    tag = "auth",
    request_body = SecondFactorCode,
    responses(
        (status = 204, description = "Right: the session counts as fresh"),
        (status = 403, description = "Through an API token (`session_required`), or wrong, used or no second factor (`wrong_code`)", body = ApiErrorBody),
        (status = 429, description = "Too many wrong codes (`too_many_attempts`)", body = ApiErrorBody),
    ),
    security(("cookie" = []))
)]
pub async fn verify(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<BearerAuth>>,
    ApiJson(body): ApiJson<SecondFactorCode>,
) -> Result<StatusCode, AppError> {
    session_only(&bearer)?;
    if body.code.trim().is_empty() {
        return Err(AppError::invalid("code", "Type a code, or use a passkey."));
    }
    crate::identity::step_up::code(&s.pool, &s.config, &v, Some(&body.code)).await?;
    Ok(StatusCode::NO_CONTENT)
}
