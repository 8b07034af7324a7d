//! Sign-in rate limiting, kept in Postgres so that it holds across every instance.
//!
//! Each failed sign-in (wrong password, unknown or inactive user) is a row of
//! `sign_in_failures`. Before any password is hashed, [`check`] refuses with 429 when the
//! username, or the client's IP, has too many failures within the window; the answer's
//! `Retry-After` says when the oldest failure that matters leaves the window. Successful
//! sign-ins and refused (429) attempts are not counted, so a locked-out user is let in again
//! once the window has passed, whatever was tried in between.
//!
//! Known limit: attempts that arrive together all pass [`check`] before any of them is
//! recorded, so a burst of N parallel guesses can overshoot the limit by up to N - 1.

use std::net::IpAddr;

use sqlx::PgPool;
use tollgate_app::AppError;

use crate::config::Config;

/// The name under which failures are counted: the lower-cased username, as users are
/// looked up case-insensitively (and at most 64 characters, the longest a username can be).
fn key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

fn window(config: &Config) -> f64 {
    config.sign_in_window_seconds.max(1) as f64
}

/// 429 `too_many_attempts` when `username` or `ip` has reached its limit of failures.
pub async fn check(
    pool: &PgPool,
    config: &Config,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    // The limit-th newest failure of each: once it leaves the window, fewer than the limit
    // remain. Both read straight off an index, newest first.
    let retry_after: Option<i64> = sqlx::query_scalar(
        "SELECT ceil(extract(epoch FROM greatest(
                   (SELECT at FROM sign_in_failures
                     WHERE username = $1 AND at > now() - make_interval(secs => $3)
                     ORDER BY at DESC OFFSET $4 - 1 LIMIT 1),
                   (SELECT at FROM sign_in_failures
                     WHERE ip = $2 AND at > now() - make_interval(secs => $3)
                     ORDER BY at DESC OFFSET $5 - 1 LIMIT 1))
                 + make_interval(secs => $3) - now()))::bigint",
    )
    .bind(key(username))
    .bind(ip.map(|ip| ip.to_string()))
    .bind(window(config))
    .bind(config.sign_in_max_per_user.max(1))
    .bind(config.sign_in_max_per_ip.max(1))
    .fetch_one(pool)
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

/// Counts a failed sign-in of `username` from `ip`, and forgets failures older than the window.
pub async fn failed(
    pool: &PgPool,
    config: &Config,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    sqlx::query(
        "WITH old AS (DELETE FROM sign_in_failures WHERE at < now() - make_interval(secs => $3))
         INSERT INTO sign_in_failures (username, ip) VALUES ($1, $2)",
    )
    .bind(key(username))
    .bind(ip.map(|ip| ip.to_string()))
    .bind(window(config))
    .execute(pool)
    .await?;
    Ok(())
}
