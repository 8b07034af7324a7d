//! Failed sign-ins (`sign_in_failures`), counted per username and per client address for
//! the rate limit (identity/ratelimit.rs), and the advisory locks that serialise the attempts
//! of one username and one address.

use sqlx::PgExecutor;
use tollgate_app::AppError;

/// Serialises the sign-in attempts of one username and of one client address until the
/// transaction ends (two attempts of different usernames from one address take the locks in
/// the same order, username first, so they cannot deadlock).
pub async fn lock_keys(
    db: &mut sqlx::PgConnection,
    username_key: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('sign_in:user:' || $1, 0)),
                pg_advisory_xact_lock(hashtextextended('sign_in:ip:' || coalesce($2, ''), 0))",
    )
    .bind(username_key)
    .bind(ip.map(|ip| ip.to_string()))
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Records a failed (or not yet known good) sign-in and forgets failures older than the window.
pub async fn record(
    db: &mut sqlx::PgConnection,
    username_key: &str,
    ip: Option<std::net::IpAddr>,
    window_seconds: f64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "WITH old AS (DELETE FROM sign_in_failures WHERE at < now() - make_interval(secs => $3))
         INSERT INTO sign_in_failures (username, ip) VALUES ($1, $2) RETURNING id",
    )
    .bind(username_key)
    .bind(ip.map(|ip| ip.to_string()))
    .bind(window_seconds)
    .fetch_one(&mut *db)
    .await?)
}

/// Takes back the failure recorded for an attempt that turned out to be right.
pub async fn forget(db: impl PgExecutor<'_>, id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Seconds until the `max_per_user`-th newest failure of `username_key` or the
/// `max_per_ip`-th newest of `ip` leaves the window (the later of the two); `None` while
/// both have fewer failures than that within it. Both read straight off an index, newest first.
pub async fn retry_after(
    db: impl PgExecutor<'_>,
    username_key: &str,
    ip: Option<std::net::IpAddr>,
    window_seconds: f64,
    max_per_user: i64,
    max_per_ip: i64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT ceil(extract(epoch FROM greatest(
                   (SELECT at FROM sign_in_failures
                     WHERE username = $1 AND at > now() - make_interval(secs => $3)
                     ORDER BY at DESC OFFSET $4 - 1 LIMIT 1),
                   (SELECT at FROM sign_in_failures
                     WHERE ip = $2 AND at > now() - make_interval(secs => $3)
                     ORDER BY at DESC OFFSET $5 - 1 LIMIT 1))
                 + make_interval(secs => $3) - now()))::bigint",
    )
    .bind(username_key)
    .bind(ip.map(|ip| ip.to_string()))
    .bind(window_seconds)
    .bind(max_per_user)
    .bind(max_per_ip)
    .fetch_one(db)
    .await?)
}
