//! Sessions kept in Postgres: a random token in an HttpOnly cookie, its SHA-256 digest in the
//! table. Any instance sharing the database sees them; signing out deletes the row, so it
//! ends on every instance at once; a deactivated user's sessions stop resolving.

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use tollgate_app::backend::ClientInfo;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

pub const COOKIE: &str = "tollgate_session";

pub use crate::identity::digest::of as digest;

/// A fresh random token (256 bits), URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Opens a session for `user_id`, who proved who they are by `method` (`password`, `oidc`,
/// `ldap`); returns its token.
pub async fn create(
    db: impl sqlx::PgExecutor<'_>,
    user_id: Uuid,
    hours: i64,
    client: &ClientInfo,
    method: &str,
) -> Result<String, AppError> {
    let token = new_token();
    crate::store::sessions::open(
        db,
        &digest(&token),
        user_id,
        Utc::now() + Duration::hours(hours),
        client.ip.map(|ip| ip.to_string()),
        client
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(512).collect::<String>()),
        method,
    )
    .await?;
    Ok(token)
}

/// The active user behind a live session token.
pub async fn viewer(pool: &PgPool, token: &str) -> Result<Option<Viewer>, AppError> {
    crate::store::users::viewer_of_session(pool, &digest(token)).await
}

pub async fn delete(pool: &PgPool, token: &str) -> Result<(), AppError> {
    crate::store::sessions::end(pool, &digest(token)).await
}

/// The `Set-Cookie` value carrying a session.
pub fn cookie(token: &str, hours: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        hours * 3600,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let read = |values: &[&str]| {
            let mut h = axum::http::HeaderMap::new();
            for v in values {
                h.append(axum::http::header::COOKIE, v.parse().unwrap());
            }
            tollgate_app::backend::cookie(&h, COOKIE)
        };
        assert_eq!(
            read(&["a=1; tollgate_session=abc; b=2"]).as_deref(),
            Some("abc")
        );
        assert_eq!(
            read(&["a=1", "tollgate_session=xyz"]).as_deref(),
            Some("xyz")
        );
        assert_eq!(read(&["a=1"]), None);
        assert_eq!(read(&["tollgate_session="]), None);
        assert_eq!(read(&["my_tollgate_session=abc"]), None);
    }

    #[test]
    fn cookie_is_http_only_and_lax() {
        let c = cookie("t", 1, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(cookie("t", 1, true).ends_with("; Secure"));
    }
}
