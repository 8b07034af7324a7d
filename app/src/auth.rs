//! Signing in and out, and who is signed in: server functions the pages call.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Viewer;

/// Signs in and returns where to go next (a path on this site).
#[server(prefix = "/sfn", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String, next: String) -> Result<String, AppError> {
    use crate::backend::*;
    with_status(
        async {
            let signed_in = backend()?
                .sign_in(username.trim(), &password, client_info())
                .await?;
            set_response_header(http::header::SET_COOKIE, &signed_in.set_cookie)?;
            Ok(crate::model::safe_next(&next))
        }
        .await,
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
