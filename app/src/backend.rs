//! The server side of the pages: the use-cases a server function may call, behind a trait
//! the `server` crate implements (so there is no SQL here and the pages can be tested
//! against any implementation), and the per-request facts the server's middleware leaves
//! in the request's extensions.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Viewer;

/// Where a request came from, as the server decided (it knows whether to trust proxies).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The raw session token of the request, if it carried one (to sign out).
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// A successful sign-in: who, and the `Set-Cookie` value that carries the new session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub viewer: Viewer,
    pub set_cookie: String,
}

/// Everything the pages ask of the server.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Checks the password and opens a fresh session (a new id each time).
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignedIn, AppError>;
    /// Ends the session everywhere; returns the `Set-Cookie` value that clears the cookie.
    async fn sign_out(&self, token: Option<&str>) -> Result<String, AppError>;
}

/// The handle the server puts into the Leptos context.
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);

/// The backend of this request.
pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
    use_context::<BackendHandle>()
        .map(|h| h.0)
        .ok_or_else(AppError::internal)
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The signed-in person of this request, if any (the server's middleware resolved it).
pub fn viewer() -> Option<Viewer> {
    parts().and_then(|p| p.extensions.get::<Viewer>().cloned())
}

/// The signed-in person, or 401.
pub fn require_viewer() -> Result<Viewer, AppError> {
    viewer().ok_or_else(AppError::unauthorized)
}

/// Where this request came from.
pub fn client_info() -> ClientInfo {
    parts()
        .and_then(|p| p.extensions.get::<ClientInfo>().cloned())
        .unwrap_or_default()
}

/// The session token this request carried.
pub fn session_token() -> Option<String> {
    parts().and_then(|p| p.extensions.get::<SessionToken>().map(|t| t.0.clone()))
}

/// Sets a response header of the current server-function or page response.
pub fn set_response_header(name: http::HeaderName, value: &str) -> Result<(), AppError> {
    let opts = use_context::<leptos_axum::ResponseOptions>().ok_or_else(AppError::internal)?;
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::internal())?;
    opts.append_header(name, value);
    Ok(())
}

/// Gives a server function's failure its real HTTP status (a wrong password is a 401, not
/// the 500 that server functions answer by default).
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let (Some(opts), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.status),
        ) {
            opts.set_status(status);
        }
    }
    result
}
