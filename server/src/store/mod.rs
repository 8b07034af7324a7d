//! The store: all SQL (one module per table family), the migrations, the private Postgres and
//! LISTEN/NOTIFY. Use-cases call these functions; nothing outside this folder writes SQL.

pub mod acls;
pub mod audit;
pub mod delegations;
pub mod directory;
pub mod errors;
pub mod estate;
pub mod expiry;
pub mod gateway;
pub mod grants;
pub mod live;
pub mod local_pg;
pub mod mail_links;
pub mod notifications;
pub mod orgs;
pub mod outbox;
pub mod passkeys;
pub mod pending_logins;
pub mod queue;
pub mod roles;
pub mod second_factor;
pub mod service_tokens;
pub mod sessions;
pub mod settings;
pub mod sign_in_failures;
pub mod sso;
pub mod templates;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The migrations, embedded in the binary and run at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to Postgres (waiting a little for it to come up).
pub async fn connect(url: &str, max: u32) -> Result<PgPool, sqlx::Error> {
    connect_with(url, max, &crate::tls::Roots::mozilla()).await
}

/// [`connect`], trusting `roots` too: the URL's `sslmode` (`disable`, `prefer` (sqlx's
/// default), `require`, `verify-ca`, `verify-full`) decides whether TLS is used and what is
/// verified; its `sslrootcert` names the CA, else `TOLLGATE_CA_FILE`'s file is used.
pub async fn connect_with(
    url: &str,
    max: u32,
    roots: &crate::tls::Roots,
) -> Result<PgPool, sqlx::Error> {
    // No parallel workers for Tollgate's own queries: they read a page of rows through an
    // index, and starting workers took longer (≈ 10 ms here) than the query they would share
    // (a title search over a million tickets ran 13 ms with two workers, 2 ms without).
    let mut options = url
        .parse::<PgConnectOptions>()?
        .options([("max_parallel_workers_per_gather", "0")]);
    if let (false, Some(ca)) = (url.contains("sslrootcert="), roots.pem_path()) {
        options = options.ssl_root_cert(ca);
    }
    if let Some(why) = unverified_remote(&options) {
        tracing::warn!(
            host = options.get_host(),
            "{why}: anyone on the way could pose as the database; add sslmode=verify-full to \
             DATABASE_URL (with sslrootcert=<CA file>, or TOLLGATE_CA_FILE, for a private CA)"
        );
    }
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        // Every acquisition is an event (target `sqlx::pool::acquire`) that the metrics' layer
        // times; the log's own filter leaves it out.
        .acquire_time_level(log::LevelFilter::Trace)
        .connect_with(options)
        .await
}

/// Why the connection `options` describe does not verify whom it reaches, when it leaves the
/// machine: `None` for a Unix socket or the loopback, and for `verify-ca`/`verify-full`.
pub fn unverified_remote(options: &PgConnectOptions) -> Option<&'static str> {
    use sqlx::postgres::PgSslMode;
    let host = options.get_host();
    let local = options.get_socket().is_some()
        || host.starts_with('/')
        || host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local {
        return None;
    }
    match options.get_ssl_mode() {
        PgSslMode::VerifyCa | PgSslMode::VerifyFull => None,
        PgSslMode::Disable | PgSslMode::Allow => Some("the database connection is not encrypted"),
        PgSslMode::Prefer | PgSslMode::Require => {
            Some("the database's certificate is not verified (sslmode is prefer or require)")
        }
    }
}

/// Begins a transaction whose statements run on their cached generic plans. Postgres re-plans a
/// prepared statement on every execution while it guesses a custom plan cheaper than the
/// generic one; for the ticket writes' larger statements (the approver directory, the request's
/// checks, node paths, notifications) that planning cost more than running them (0.2–0.4 ms
/// each, ≈ 2.4 ms of Postgres's 8.5 ms CPU per lifecycle in the bench), while their plans are
/// key lookups that do not depend on the values. Only for those paths: list queries with
/// optional filters need custom plans.
pub const BEGIN_GENERIC: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

/// [`BEGIN_GENERIC`] on a connection from `pool`.
pub async fn begin_generic(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin_with(BEGIN_GENERIC).await
}

/// Migrates and makes sure the things every installation needs exist.
pub async fn prepare(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    crate::usecases::flows::ensure_default_flow(pool)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(())
}

/// Whether the database answers (`/healthz`).
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Whether every migration this binary carries has been applied (`/readyz`): an instance of a
/// newer version is not ready until its migrations ran.
pub async fn migrations_applied(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let newest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(applied.unwrap_or(0) >= newest)
}

/// A case-insensitive "contains" pattern for `lower(column) LIKE $n`: the text lowercased,
/// with `\`, `%` and `_` escaped so they match themselves.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Ids and the names read beside them (an `ARRAY(…)` in the same order) as named items.
pub fn named(ids: Vec<uuid::Uuid>, names: Vec<String>) -> Vec<tollgate_app::dto::Named> {
    ids.into_iter()
        .zip(names)
        .map(|(id, name)| tollgate_app::dto::Named { id, name })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_match_themselves() {
        assert_eq!(super::contains_pattern("Web_01%"), "%web\\_01\\%%");
        assert_eq!(super::contains_pattern("a\\b"), "%a\\\\b%");
    }

    #[test]
    fn a_remote_database_without_verification_is_named() {
        let says = |url: &str| super::unverified_remote(&url.parse().unwrap());
        // Leaves the machine, and nothing checks whom it reaches.
        for url in [
            "postgres://u@db.example.com/t",
            "postgres://u@db.example.com/t?sslmode=require",
            "postgres://u@10.0.0.5/t?sslmode=prefer",
        ] {
            assert!(says(url).unwrap().contains("not verified"), "{url}");
        }
        assert!(says("postgres://u@db.example.com/t?sslmode=disable")
            .unwrap()
            .contains("not encrypted"));
        // Verified, or never leaves the machine.
        for url in [
            "postgres://u@db.example.com/t?sslmode=verify-full",
            "postgres://u@db.example.com/t?sslmode=verify-ca",
            "postgres://u@localhost/t",
            "postgres://u@127.0.0.1:5545/t?sslmode=disable",
            "postgres://u@[::1]/t",
            "postgres://u@localhost/t?host=/run/postgresql",
        ] {
            assert_eq!(says(url), None, "{url}");
        }
    }
}
