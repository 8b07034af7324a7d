//! Tollgate's server: configuration, the private Postgres, migrations, sessions, the REST
//! API, the pages (Leptos SSR) and the use-cases behind both.

pub mod acl_cache;
pub mod acls;
pub mod admin;
pub mod api;
pub mod config;
pub mod demo;
pub mod egress;
pub mod flows;
pub mod gateway;
pub mod held;
pub mod live;
pub mod local_pg;
pub mod middleware;
pub mod password;
pub mod policy;
pub mod ratelimit;
pub mod repo;
pub mod security;
pub mod serve;
pub mod service_tokens;
pub mod services;
pub mod session;
pub mod tickets;
pub mod tokens;
pub mod welcome;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tollgate_app::backend::{Backend, BackendHandle};
use tollgate_app::{shell, App};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

pub use config::Config;
use services::Services;

/// The migrations, embedded in the binary and run at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What every handler can reach. Nothing here is state that matters across requests:
/// several instances may share one database.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub services: Arc<Services>,
    pub leptos: LeptosOptions,
    /// What this instance hears of changes made on any instance.
    pub live: live::Live,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        let config = Arc::new(config);
        let leptos = LeptosOptions::builder()
            .output_name("tollgate")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        let live = live::Live::start(pool.clone());
        AppState {
            services: Arc::new(Services::new(pool.clone(), config.clone(), live.clone())),
            live,
            pool,
            config,
            leptos,
        }
    }
}

/// Connects to Postgres (waiting a little for it to come up).
pub async fn connect(url: &str, max: u32) -> Result<PgPool, sqlx::Error> {
    // No parallel workers for Tollgate's own queries: they read a page of rows through an
    // index, and starting workers took longer (≈ 10 ms here) than the query they would share
    // (a title search over a million tickets ran 13 ms with two workers, 2 ms without).
    let options = url
        .parse::<PgConnectOptions>()?
        .options([("max_parallel_workers_per_gather", "0")]);
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
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
    demo::ensure_default_flow(pool)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(())
}

/// The whole HTTP surface: API, pages, server functions, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend = BackendHandle(state.services.clone() as Arc<dyn Backend>);
    let notes = tollgate_app::backend::NotificationsHandle(
        state.services.clone() as Arc<dyn tollgate_app::backend::Notifications>
    );
    let leptos_options = state.leptos.clone();
    // The build writes a gzip copy of every file (scripts/build.sh): sent to browsers that
    // accept it, with no compression work per request.
    let pkg = ServeDir::new(state.config.site_root.join("pkg")).precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/api/openapi.json", get(api::openapi::serve))
        .nest("/api/v1", api::routes())
        .route("/mail/{token}", get(mail::show).post(mail::act))
        .route("/welcome/{token}", get(welcome::show).post(welcome::choose))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(backend.clone());
                provide_context(notes.clone());
            },
            move || shell(leptos_options.clone()),
        )
        .nest_service("/pkg", pkg)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .layer(axum::middleware::from_fn(middleware::sfn_status))
        .layer(axum::middleware::from_fn(security::protect))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn favicon() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "image/svg+xml")],
        include_str!("../../style/favicon.svg"),
    )
}

/// Creates a super admin unless a user of that name exists. Returns whether it created one.
pub async fn ensure_admin(pool: &PgPool, username: &str, password: &str) -> anyhow::Result<bool> {
    if repo::users::by_username(pool, username)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?
        .is_some()
    {
        return Ok(false);
    }
    if password.len() < 8 {
        anyhow::bail!("the admin password must have at least 8 characters");
    }
    let hash = password::hash(password.to_string())
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    repo::users::insert(
        pool,
        &repo::users::NewUser {
            username,
            display_name: username,
            email: "",
            password_hash: Some(&hash),
            system_role: tollgate_core::SystemRole::SuperAdmin,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(true)
}

pub mod expiry;
pub mod jobs;
pub mod mail;
pub mod notifications;
pub mod outbox;
pub mod webhooks;
