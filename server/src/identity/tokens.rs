//! Personal API tokens: `Authorization: Bearer tgp_…` for scripts and services. Like sessions,
//! only the SHA-256 digest of a token is stored; the token itself is shown once, when made.
//! A token acts as its user (same roles, same checks), until revoked or the user is
//! deactivated.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tollgate_app::model::Viewer;
use tollgate_app::AppError;

use crate::store::tokens as repo;

/// Every token starts with this, so that one pasted where it should not be is recognisable
/// (and secret scanners can find it).
pub const PREFIX: &str = "tgp_";

/// How many live tokens one user may hold.
pub const MAX_PER_USER: i64 = 50;

/// Longest token name (as the table's check says).
pub const MAX_NAME_CHARS: usize = 64;

/// `last_used_at` is written at most this often per token.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Request extension: this request was authenticated by the API token with this id (not by a
/// session cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerAuth(pub Uuid);

use crate::identity::digest::of as digest;

/// A token as its owner sees it in a list: never the secret.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    /// Made with a second factor: decisions at levels that ask for one are allowed with it.
    pub for_approvals: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token just made: the only time `token` is shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    /// Made with a second factor: decisions at levels that ask for one are allowed with it.
    pub for_approvals: bool,
    /// The secret, `tgp_…`. Send it as `Authorization: Bearer <token>`; it cannot be shown
    /// again.
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// A token's name: trimmed, 1 to 64 characters, no control characters.
pub fn check_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Give the token a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("The name must be at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            "The name must not contain control characters.",
        ));
    }
    Ok(name.to_string())
}

/// Makes a token for `user_id`; `for_approvals` only once a second factor was given for it.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    name: &str,
    for_approvals: bool,
) -> Result<CreatedToken, AppError> {
    let name = check_name(name)?;
    let mut tx = pool.begin().await?;
    // Serialise token creation per user so the cap holds under concurrent requests.
    repo::lock_owner(&mut *tx, user_id).await?;
    let live = repo::count_live(&mut *tx, user_id).await?;
    if live >= MAX_PER_USER {
        return Err(AppError::conflict(
            "too_many_tokens",
            format!("You already have {MAX_PER_USER} tokens; revoke one first."),
        ));
    }
    let token = format!("{PREFIX}{}", crate::identity::session::new_token());
    let id = Uuid::new_v4();
    let created_at =
        repo::insert(&mut *tx, id, user_id, &name, &digest(&token), for_approvals).await?;
    tx.commit().await?;
    tracing::info!(token_id = %id, user_id = %user_id, for_approvals, "api token created");
    Ok(CreatedToken {
        id,
        name,
        for_approvals,
        token,
        created_at,
    })
}

/// The user's live tokens, newest first.
pub async fn list(pool: &PgPool, user_id: Uuid) -> Result<Vec<TokenInfo>, AppError> {
    Ok(repo::list_live(pool, user_id)
        .await?
        .into_iter()
        .map(|r| TokenInfo {
            id: r.id,
            name: r.name,
            for_approvals: r.for_approvals,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// Revokes one of the user's live tokens; false when they have no such token (someone
/// else's, already revoked, or unknown: the caller cannot tell which).
pub async fn revoke(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<bool, AppError> {
    let done = repo::revoke(pool, user_id, id).await?;
    if done {
        tracing::info!(token_id = %id, user_id = %user_id, "api token revoked");
    }
    Ok(done)
}

/// Whether token `id` of `user` still works (not revoked, its person active).
pub async fn is_live(pool: &PgPool, id: Uuid, user: Uuid) -> Result<bool, AppError> {
    repo::is_live(pool, id, user).await
}

/// Who a bearer token acts for: its id and the user, if the token is known, not revoked and
/// its user active. Notes the use (at most once a minute per token).
pub async fn viewer(pool: &PgPool, token: &str) -> Result<Option<(Uuid, Viewer)>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some((id, user_id, last_used)) = repo::live_by_digest(pool, &digest(token)).await? else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| Utc::now() - t >= TOUCH_EVERY) {
        repo::touch(pool, id).await?;
    }
    Ok(crate::store::users::viewer(pool, user_id)
        .await?
        .map(|v| (id, v)))
}

/// The token in an `Authorization` header value: `Some(token)` for the Bearer scheme (any
/// case; the token may be empty, which then fails), `None` for any other scheme.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bearer_scheme_only() {
        assert_eq!(bearer("Bearer tgp_abc"), Some("tgp_abc"));
        assert_eq!(bearer("bearer   tgp_abc "), Some("tgp_abc"));
        assert_eq!(bearer("Bearer"), Some(""));
        assert_eq!(bearer("Basic dXNlcjpwdw=="), None);
        assert_eq!(bearer(""), None);
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  ci deploy ").unwrap(), "ci deploy");
        assert_eq!(check_name(" ").unwrap_err().status, 422);
        assert_eq!(check_name(&"x".repeat(65)).unwrap_err().status, 422);
        assert!(check_name(&"é".repeat(64)).is_ok());
        assert_eq!(check_name("a\nb").unwrap_err().status, 422);
    }
}
