//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tollgate_app::backend::{Backend, ClientInfo, SessionToken, SignInOutcome, PENDING_COOKIE};
use tollgate_app::dto::PendingSignIn;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

use super::extract::{ApiJson, ApiQuery, Caller};
use super::openapi::ApiErrorBody;
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// The answer of a sign-in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub user: Viewer,
}

/// Sign in; the answer sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session", body = SignedIn),
        (status = 202, description = "Held for review by a login ACL: a login_confirm ticket is open and `Set-Cookie` carries the pending-sign-in token; follow it with `GET /api/v1/auth/pending`", body = PendingSignIn),
        (status = 401, description = "Wrong username or password; or (`second_factor_required`) the password was right and the person has a second factor: `Set-Cookie` carries the waiting sign-in, to be followed by `POST /api/v1/auth/second-factor` within five minutes", body = ApiErrorBody),
        (status = 403, description = "A login ACL refuses this sign-in", body = ApiErrorBody),
        (status = 422, description = "Wrong shape", body = ApiErrorBody),
        (status = 429, description = "Too many failed sign-ins for this username or address (`too_many_attempts`); `Retry-After` gives the seconds to wait", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a sign-in is tried again"))),
    ),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, AppError> {
    let outcome = state
        .services
        .sign_in(body.username.trim(), &body.password, client)
        .await?;
    Ok(answer(outcome))
}

/// The answer of a sign-in step: signed in (200), held (202), or waiting for the second
/// factor (401 `second_factor_required` with its cookie).
fn answer(outcome: SignInOutcome) -> Response {
    match outcome {
        SignInOutcome::SignedIn(signed) => (
            [(header::SET_COOKIE, signed.set_cookie)],
            Json(SignedIn {
                user: signed.viewer,
            }),
        )
            .into_response(),
        SignInOutcome::Held(held) => (
            StatusCode::ACCEPTED,
            [(header::SET_COOKIE, held.set_cookie)],
            Json(held.pending),
        )
            .into_response(),
        SignInOutcome::SecondFactor(cookie) => waiting(
            cookie,
            "second_factor_required",
            "Give a code of your authenticator app (or a recovery code).",
        ),
        SignInOutcome::SetUpSecondFactor(cookie) => waiting(
            cookie,
            "second_factor_setup_required",
            "Your role needs a second factor: set up an authenticator app to go on \
             (POST /api/v1/auth/set-up/totp, then /api/v1/auth/set-up/confirm).",
        ),
    }
}

/// A 401 that carries the cookie of the sign-in waiting for its second factor.
fn waiting(cookie: String, code: &str, message: &str) -> Response {
    let mut r = AppError::new(401, code, message).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn waiting_token(headers: &HeaderMap) -> Result<String, AppError> {
    tollgate_app::backend::cookie(headers, tollgate_app::backend::SECOND_FACTOR_COOKIE)
        .ok_or_else(crate::identity::second_factor::no_challenge)
}

/// A challenge for the sign-in waiting in this browser (its cookie), to answer with one of the
/// person's passkeys: the options for `navigator.credentials.get`. The assertion
/// (`PublicKeyCredential.toJSON()`, as a string) then goes as the `code` of
/// `POST /api/v1/auth/second-factor`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkey-challenge",
    tag = "auth",
    responses(
        (status = 200, description = "`{publicKey: …}` as WebAuthn's JSON form, good for five minutes", body = Object),
        (status = 404, description = "No sign-in waits here (`no_second_factor_wait`), or the person has no passkey (`no_passkeys`)", body = ApiErrorBody),
        (status = 409, description = "Passkeys unavailable on this server (`passkeys_unavailable`)", body = ApiErrorBody),
    ),
    security(())
)]
pub async fn passkey_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AppError> {
    let token = waiting_token(&headers)?;
    Ok(Json(
        crate::identity::second_factor::passkey_challenge_for_sign_in(
            &state.pool,
            &state.config,
            &token,
        )
        .await?,
    ))
}

/// For someone whose role needs a second factor and who has none: start setting up an
/// authenticator app within the waiting sign-in (its cookie).
#[utoipa::path(
    post,
    path = "/api/v1/auth/set-up/totp",
    tag = "auth",
    responses(
        (status = 200, description = "Scan the QR code or type the secret, then confirm a code", body = tollgate_app::admin_dto::TotpEnrolment),
        (status = 404, description = "No sign-in waits here, or its five minutes are over", body = ApiErrorBody),
        (status = 409, description = "An authenticator is active already (`second_factor_active`)", body = ApiErrorBody),
    ),
    security(())
)]
pub async fn set_up_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<tollgate_app::admin_dto::TotpEnrolment>, AppError> {
    let token = waiting_token(&headers)?;
    Ok(Json(state.services.begin_sign_in_enrolment(&token).await?))
}

/// Confirm the authenticator set up within the waiting sign-in. The sign-in then goes on
/// (session, or a hold); the recovery codes, shown once, are in `X-Recovery-Codes` as a JSON
/// array.
#[utoipa::path(
    post,
    path = "/api/v1/auth/set-up/confirm",
    tag = "auth",
    request_body = CodeBody,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session; `X-Recovery-Codes` the recovery codes", body = SignedIn),
        (status = 202, description = "Held for review by a login ACL", body = PendingSignIn),
        (status = 401, description = "Wrong or used code (`wrong_code`)", body = ApiErrorBody),
        (status = 404, description = "No sign-in waits here, or its five minutes are over", body = ApiErrorBody),
        (status = 409, description = "Nothing is being set up", body = ApiErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`)", body = ApiErrorBody),
    ),
    security(())
)]
pub async fn set_up_confirm(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Response, AppError> {
    let token = waiting_token(&headers)?;
    let (codes, outcome) = state
        .services
        .confirm_sign_in_enrolment(&token, &body.code, client)
        .await?;
    let mut r = answer_ending_the_wait(&state, outcome);
    if let Ok(v) = header::HeaderValue::from_str(&serde_json::to_string(&codes).unwrap_or_default())
    {
        r.headers_mut().insert("x-recovery-codes", v);
    }
    Ok(r)
}

/// The answer of a sign-in whose wait for a second factor is over: the wait's cookie goes.
fn answer_ending_the_wait(state: &AppState, outcome: SignInOutcome) -> Response {
    let clear = crate::identity::second_factor::clear_cookie(state.config.secure_cookies());
    let mut r = answer(outcome);
    if let Ok(v) = header::HeaderValue::from_str(&clear) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CodeBody {
    /// Six digits of the authenticator app, or a recovery code.
    code: String,
}

/// The second factor of the sign-in waiting in this browser (its cookie): a code of the
/// authenticator app or a recovery code. Then as a sign-in: the login rules, a session or a
/// hold. Wrong codes count against the sign-in limits like wrong passwords.
#[utoipa::path(
    post,
    path = "/api/v1/auth/second-factor",
    tag = "auth",
    request_body = CodeBody,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session", body = SignedIn),
        (status = 202, description = "Held for review by a login ACL", body = PendingSignIn),
        (status = 401, description = "Wrong or used code (`wrong_code`)", body = ApiErrorBody),
        (status = 404, description = "No sign-in waits for a code in this browser, or its five minutes are over", body = ApiErrorBody),
        (status = 409, description = "This sign-in waits for a second factor to be set up first (`second_factor_setup_required`)", body = ApiErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`)", body = ApiErrorBody),
    ),
    security(())
)]
pub async fn second_factor(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Response, AppError> {
    let token = waiting_token(&headers)?;
    let outcome = state
        .services
        .second_factor(&token, &body.code, client)
        .await?;
    Ok(answer_ending_the_wait(&state, outcome))
}

/// The pending-sign-in token of a request.
fn pending_token(headers: &HeaderMap) -> Result<String, AppError> {
    tollgate_app::backend::cookie(headers, PENDING_COOKIE)
        .ok_or_else(tollgate_app::auth::no_pending)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingQuery {
    /// Seconds to wait for a decision (0–60; default 0 = answer at once).
    #[serde(default)]
    wait: Option<u64>,
}

/// Where the held sign-in of this browser stands (the pending-sign-in cookie). Waits up to
/// `wait` seconds and answers the moment a reviewer decides; once approved, this answer opens
/// the session (`Set-Cookie`), exactly once.
#[utoipa::path(
    get,
    path = "/api/v1/auth/pending",
    tag = "auth",
    params(PendingQuery),
    responses(
        (status = 200, description = "Where it stands; `signed_in` is true when this answer carries the session cookie", body = PendingSignIn),
        (status = 422, description = "A bad wait (more than 60 seconds)", body = ApiErrorBody),
        (status = 404, description = "No held sign-in for this cookie (never held, already used, or its time is over)", body = ApiErrorBody),
    ),
    security(())
)]
pub async fn pending(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PendingQuery>,
) -> Result<Response, AppError> {
    let wait = q.wait.unwrap_or(0);
    if wait > super::live::MAX_WAIT_SECONDS {
        return Err(AppError::invalid(
            "wait",
            format!("wait at most {} seconds", super::live::MAX_WAIT_SECONDS),
        ));
    }
    let token = pending_token(&headers)?;
    let out = state.services.pending_sign_in(&token, wait, client).await?;
    let mut response = Json(out.pending).into_response();
    for c in out.set_cookies {
        if let Ok(v) = header::HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// Withdraws the held sign-in of this browser (its login_confirm ticket is closed) and forgets
/// the cookie, at once (the waiting page's Cancel; a page that is left calls
/// `/api/v1/auth/pending/leave`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/pending/withdraw",
    tag = "auth",
    responses((status = 204, description = "Withdrawn (also when nothing was waiting)")),
    security(())
)]
pub async fn withdraw_pending(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let clear = match pending_token(&headers) {
        Ok(token) => state.services.withdraw_sign_in(&token).await?,
        Err(_) => crate::identity::held::clear_cookie(state.config.secure_cookies()),
    };
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// The waiting page of this browser's held sign-in was left: its `pagehide` beacon. A reload
/// leaves the page too, so the request is withdrawn only if the page does not ask for its
/// status within 5 seconds; the cookie stays for the reloaded page.
#[utoipa::path(
    post,
    path = "/api/v1/auth/pending/leave",
    tag = "auth",
    responses((status = 204, description = "Noted (also when nothing was waiting)")),
    security(())
)]
pub async fn leave_pending(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Ok(token) = pending_token(&headers) {
        crate::identity::held::leave(&state.services.pool, &token).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sign out: ends the session everywhere and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Signed out (also when no session was open)")),
    security(())
)]
pub async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
) -> Result<Response, AppError> {
    let clear = state
        .services
        .sign_out(token.as_ref().map(|t| t.0 .0.as_str()))
        .await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Who is calling.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Viewer),
        (status = 401, description = "Not signed in, or a bad bearer token", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn me(Caller(viewer): Caller) -> impl IntoResponse {
    Json(viewer)
}
