//! Sign-in rate limiting, kept in Postgres so that it holds across every instance.
//!
//! Each failed sign-in (wrong password, unknown or inactive user) is a row of
//! `sign_in_failures`. Before any password is hashed, [`reserve`] refuses with 429 when the
//! username, or the client's IP, has too many failures within the window; the answer's
//! `Retry-After` says when the oldest failure that matters leaves the window. Successful
//! sign-ins and refused (429) attempts are not counted, so a locked-out user is let in again
//! once the window has passed, whatever was tried in between.
//!
//! Parallel guesses: [`reserve`] counts and records the attempt as a failure in one
//! transaction that holds a lock per username and per IP (advisory, transaction-scoped), so
//! attempts that arrive together are counted one after the other and a burst cannot pass the
//! limit. A sign-in that then succeeds takes its reservation back ([`Reservation::succeeded`]).

use std::net::IpAddr;

use sqlx::PgPool;
use tollgate_app::AppError;

use crate::config::Config;
use crate::store::sign_in_failures as repo;

/// The name under which failures are counted: the lower-cased username, as users are
/// looked up case-insensitively (and at most 64 characters, the longest a username can be).
fn key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

fn window(config: &Config) -> f64 {
    config.sign_in_window_seconds.max(1) as f64
}

/// An attempt counted as a failure until the password is known to be right.
#[must_use = "a successful sign-in must take its reservation back"]
pub struct Reservation(i64);

impl Reservation {
    /// The password was right: the attempt no longer counts.
    pub async fn succeeded(self, pool: &PgPool) -> Result<(), AppError> {
        repo::forget(pool, self.0).await
    }
}

/// 429 `too_many_attempts` when `username` or `ip` has reached its limit of failures; else
/// records this attempt as a failure (taken back by [`Reservation::succeeded`]), atomically
/// with the count.
pub async fn reserve(
    pool: &PgPool,
    config: &Config,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<Reservation, AppError> {
    let mut tx = pool.begin().await?;
    repo::lock_keys(&mut tx, &key(username), ip).await?;
    check(&mut tx, config, username, ip).await?;
    let id = repo::record(&mut tx, &key(username), ip, window(config)).await?;
    tx.commit().await?;
    Ok(Reservation(id))
}

/// 429 `too_many_attempts` when `username` or `ip` has reached its limit of failures.
async fn check(
    db: &mut sqlx::PgConnection,
    config: &Config,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    // The limit-th newest failure of each: once it leaves the window, fewer than the limit
    // remain.
    let retry_after = repo::retry_after(
        &mut *db,
        &key(username),
        ip,
        window(config),
        config.sign_in_max_per_user.max(1),
        config.sign_in_max_per_ip.max(1),
    )
    .await?;
    match retry_after {
        None => Ok(()),
        Some(secs) => {
            let secs = secs.max(1);
            tracing::warn!(ip = ?ip, "sign-in refused: too many failed attempts");
            Err(AppError::new(
                429,
                "too_many_attempts",
                format!(
                    "Too many failed sign-in attempts. Try again in {} minute(s).",
                    (secs + 59) / 60
                ),
            )
            .with_details(serde_json::json!({ "retry_after_seconds": secs })))
        }
    }
}
