//! Signing in and out, and who is signed in: server functions the pages call.

use leptos::prelude::*;

use crate::dto::PendingSignIn;
use crate::error::AppError;
use crate::model::Viewer;

/// Signs in and returns where to go next (a path on this site): the page asked for, or the
/// waiting page when a login ACL holds the sign-in for review.
#[server(prefix = "/sfn", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String, next: String) -> Result<String, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let next = crate::model::safe_next(&next);
            let outcome = backend()?
                .sign_in(username.trim(), &password, client_info())
                .await?;
            go_on(outcome, next)
        }
        .await,
    )
}

/// Where a sign-in step leads, its cookie set: `next` once signed in, else the page that waits
/// for a reviewer or asks for the code.
#[cfg(feature = "ssr")]
fn go_on(outcome: crate::backend::SignInOutcome, next: String) -> Result<String, AppError> {
    use crate::backend::*;
    let (cookie, to) = match outcome {
        SignInOutcome::SignedIn(signed_in) => (signed_in.set_cookie, None),
        SignInOutcome::Held(held) => (held.set_cookie, Some("/login/wait")),
        SignInOutcome::SecondFactor(cookie) => (cookie, Some("/login/code")),
        SignInOutcome::SetUpSecondFactor(cookie) => (cookie, Some("/login/set-up")),
    };
    set_response_header(http::header::SET_COOKIE, &cookie)?;
    Ok(match to {
        None => next,
        Some(page) => format!("{page}?next={}", crate::components::enc(&next)),
    })
}

/// The second factor of the sign-in waiting in this browser; returns where to go next.
#[server(prefix = "/sfn", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String, next: String) -> Result<String, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let next = crate::model::safe_next(&next);
            let token = request_cookie(SECOND_FACTOR_COOKIE).ok_or_else(no_waiting_code)?;
            let outcome = backend()?
                .second_factor(&token, &code, client_info())
                .await?;
            go_on(outcome, next)
        }
        .await,
    )
}

/// Where this browser's held sign-in stands, waiting up to `wait` seconds (at most 60) for a
/// reviewer; the answer that sees the approval also signs the browser in.
#[server(prefix = "/sfn", endpoint = "sign_in_status")]
pub async fn sign_in_status(wait: u64) -> Result<PendingSignIn, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let token = request_cookie(PENDING_COOKIE).ok_or_else(no_pending)?;
            let out = backend()?
                .pending_sign_in(&token, wait.min(60), client_info())
                .await?;
            for c in &out.set_cookies {
                set_response_header(http::header::SET_COOKIE, c)?;
            }
            Ok(out.pending)
        }
        .await,
    )
}

/// Gives up waiting: the held sign-in's ticket is withdrawn.
#[server(prefix = "/sfn", endpoint = "withdraw_sign_in")]
pub async fn withdraw_sign_in() -> Result<(), AppError> {
    use crate::backend::*;
    with_status(
        async {
            let token = request_cookie(PENDING_COOKIE).ok_or_else(no_pending)?;
            let clear = backend()?.withdraw_sign_in(&token).await?;
            set_response_header(http::header::SET_COOKIE, &clear)
        }
        .await,
    )
}

/// What the sign-in page offers (anyone may ask).
#[server(prefix = "/sfn", endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<crate::admin_dto::SignInOptions, AppError> {
    use crate::backend::*;
    with_status(backend()?.sign_in_options().await)
}

/// Starts setting up the authenticator that this browser's waiting sign-in needs.
#[server(prefix = "/sfn", endpoint = "sign_in_set_up")]
pub async fn sign_in_set_up() -> Result<crate::admin_dto::TotpEnrolment, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let token = request_cookie(SECOND_FACTOR_COOKIE).ok_or_else(no_waiting_code)?;
            backend()?.begin_sign_in_enrolment(&token).await
        }
        .await,
    )
}

/// What confirming the set-up gives: the recovery codes (shown once) and where to go next.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SetUpDone {
    pub recovery_codes: Vec<String>,
    pub next: String,
}

/// Confirms the authenticator set up during sign-in; the sign-in then goes on.
#[server(prefix = "/sfn", endpoint = "sign_in_set_up_confirm")]
pub async fn sign_in_set_up_confirm(code: String, next: String) -> Result<SetUpDone, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let next = crate::model::safe_next(&next);
            let token = request_cookie(SECOND_FACTOR_COOKIE).ok_or_else(no_waiting_code)?;
            let (recovery_codes, outcome) = backend()?
                .confirm_sign_in_enrolment(&token, &code, client_info())
                .await?;
            Ok(SetUpDone {
                recovery_codes,
                next: go_on(outcome, next)?,
            })
        }
        .await,
    )
}

/// The answer when no sign-in waits for a code in this browser.
pub fn no_waiting_code() -> AppError {
    AppError::new(
        404,
        "no_second_factor_wait",
        "No sign-in is waiting for a code here, or its five minutes are over. Sign in again.",
    )
}

/// The answer when no sign-in waits in this browser.
pub fn no_pending() -> AppError {
    AppError::new(
        404,
        "no_pending_sign_in",
        "No sign-in is waiting for approval here. Sign in again.",
    )
}

/// Ends the current session.
#[server(prefix = "/sfn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend::*;
    with_status(
        async {
            let token = session_token();
            let clear = backend()?.sign_out(token.as_deref()).await?;
            set_response_header(http::header::SET_COOKIE, &clear)
        }
        .await,
    )
}

/// The signed-in person, or `None`.
#[server(prefix = "/sfn", endpoint = "me")]
pub async fn current_user() -> Result<Option<Viewer>, AppError> {
    Ok(crate::backend::viewer())
}
