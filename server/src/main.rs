//! `tollgate`: serve (default), create an admin, or manage the private Postgres.

use clap::{Parser, Subcommand};
use sqlx::PgPool;
use tollgate_server::store::local_pg::LocalPg;
use tollgate_server::store::roles;
use tollgate_server::{connect_with, ensure_admin, prepare, router, AppState, Config};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "tollgate", about = "Tollgate: access requests and approvals")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server (the default).
    Serve,
    /// Create a super admin (on a database without demo data, the first one).
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// Read from TOLLGATE_ADMIN_PASSWORD when not given.
        #[arg(long, env = "TOLLGATE_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Remove a person's second factor and end their sessions and tokens: the way back in for
    /// the last super admin who lost their phone and recovery codes (needs the database).
    ResetSecondFactor {
        #[arg(long)]
        username: String,
    },
    /// Start (or reuse) a private Postgres in a folder and print its URL.
    LocalPg {
        #[arg(long)]
        data: std::path::PathBuf,
        #[arg(long)]
        port: u16,
        /// Database to create.
        #[arg(long, default_value = "tollgate")]
        database: String,
        /// No durability (tests).
        #[arg(long)]
        fast: bool,
        /// Drop the database first (a clean slate).
        #[arg(long)]
        fresh: bool,
        /// Stop it instead.
        #[arg(long)]
        stop: bool,
        /// Serve TLS with this PEM certificate (with --tls-key); copied into the data folder.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() {
    tollgate_server::identity::password::return_large_blocks_to_the_system();
    let cli = Cli::parse();
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
        let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
        let logs = match cli.config.log_format {
            tollgate_server::config::LogFormat::Json => logs.json().boxed(),
            tollgate_server::config::LogFormat::Text => logs.boxed(),
        };
        tracing_subscriber::registry()
            .with(logs.with_filter(filter))
            .with(tollgate_server::metrics::acquire_times())
            .init();
    }
    let result = match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => serve(cli.config).await,
        Cmd::CreateAdmin { username, password } => {
            create_admin(cli.config, &username, &password).await
        }
        Cmd::ResetSecondFactor { username } => reset_second_factor(cli.config, &username).await,
        Cmd::LocalPg {
            data,
            port,
            database,
            fast,
            fresh,
            stop,
            tls_cert,
            tls_key,
        } => {
            let tls = tls_cert.zip(tls_key);
            local_pg(&data, port, &database, fast, fresh, stop, tls)
        }
    };
    if let Err(e) = result {
        eprintln!("tollgate: {e:#}");
        std::process::exit(1);
    }
}

fn local_pg(
    data: &std::path::Path,
    port: u16,
    database: &str,
    fast: bool,
    fresh: bool,
    stop: bool,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> anyhow::Result<()> {
    let mut pg = LocalPg::new(data, port, fast)?;
    pg.tls = tls;
    if stop {
        pg.stop()
    } else {
        if fresh {
            pg.ensure_started("postgres")?;
            pg.recreate(database)?;
        }
        println!("{}", pg.ensure_started(database)?);
        Ok(())
    }
}

/// Connects to the database and readies it: the configured one, or the private Postgres (started
/// if needed). The migrations run as the schema's owner; the returned pool connects as the
/// application's role, which gets only the grants it needs (store/roles.rs). The private
/// Postgres makes both (`postgres` owns, `tollgate_app` serves); with DATABASE_URL the owner is
/// TOLLGATE_MIGRATION_DATABASE_URL's user, or DATABASE_URL's own when that is unset. The bool
/// says whether the database is the private one.
async fn open_database(
    config: &Config,
    roots: &tollgate_server::tls::Roots,
    pool_size: u32,
) -> anyhow::Result<(PgPool, bool)> {
    let (app_url, owner_url, private) = match &config.database_url {
        Some(url) => (url.clone(), config.migration_database_url.clone(), false),
        None => {
            let pg = LocalPg::new(&config.data_dir.join("pg"), config.pg_port, false)?;
            pg.ensure_started("tollgate")?;
            let owner = pg.socket_url("tollgate");
            let app = owner.replacen(
                "postgres://postgres@",
                &format!("postgres://{}@", roles::PRIVATE_APP_ROLE),
                1,
            );
            (app, Some(owner), true)
        }
    };
    let cannot = |e: sqlx::Error| {
        anyhow::anyhow!(
            "cannot connect to the database: {}",
            tollgate_server::tls::with_explanation(e.to_string())
        )
    };
    let Some(owner_url) = owner_url else {
        let pool = connect_with(&app_url, pool_size, roots)
            .await
            .map_err(cannot)?;
        prepare(&pool).await?;
        if roles::owns_history(&pool).await? {
            tracing::warn!(
                "the server's database role owns the ticket history: set \
                 TOLLGATE_MIGRATION_DATABASE_URL to the owner and DATABASE_URL to a role of its \
                 own to make the history append-only for the server too (docs/administration.md)"
            );
        }
        return Ok((pool, private));
    };
    let owner = connect_with(&owner_url, 2, roots).await.map_err(cannot)?;
    if private {
        roles::ensure_login_role(&owner, roles::PRIVATE_APP_ROLE).await?;
    }
    prepare(&owner).await?;
    let pool = connect_with(&app_url, pool_size, roots)
        .await
        .map_err(cannot)?;
    let app_role = roles::current(&pool).await?;
    roles::grant_app(&owner, &app_role).await?;
    owner.close().await;
    Ok((pool, private))
}

async fn create_admin(config: Config, username: &str, password: &str) -> anyhow::Result<()> {
    let roots = config.roots().map_err(|e| anyhow::anyhow!(e))?;
    let (pool, _) = open_database(&config, &roots, 2).await?;
    if ensure_admin(&pool, username, password).await? {
        println!("created super admin {username}");
    } else {
        println!("a user named {username} exists already; nothing changed");
    }
    Ok(())
}

async fn reset_second_factor(config: Config, username: &str) -> anyhow::Result<()> {
    let roots = config.roots().map_err(|e| anyhow::anyhow!(e))?;
    let (pool, _) = open_database(&config, &roots, 2).await?;
    let Some(user) = tollgate_server::store::users::by_username(&pool, username)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?
    else {
        anyhow::bail!("no user named {username}");
    };
    use tollgate_server::identity::second_factor::{reset, ResetBy};
    match reset(&pool, ResetBy::CommandLine, user.id).await {
        Ok(()) => {
            println!("removed the second factor of {username}; their sessions and tokens ended");
            Ok(())
        }
        Err(e) if e.status == 404 => {
            println!("{username} has no second factor; nothing changed");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(e.message)),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // TOLLGATE_CA_FILE, read once for every client.
    let roots = config.roots().map_err(|e| anyhow::anyhow!(e))?;
    let (pool, private) = open_database(&config, &roots, config.db_pool).await?;
    if let (Some(u), Some(p)) = (&config.admin_username, &config.admin_password) {
        if ensure_admin(&pool, u, p).await? {
            tracing::info!(username = %u, "created the bootstrap super admin");
        }
    }
    let oidc = config.sso.oidc().map_err(|e| anyhow::anyhow!(e))?;
    let ldap = config.sso.ldap().map_err(|e| anyhow::anyhow!(e))?;
    tollgate_server::usecases::sso::seed(&pool, oidc, ldap).await?;
    let demo = config.demo.unwrap_or(private);
    if demo
        && tollgate_server::usecases::demo::load(&pool)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
    {
        tracing::info!("loaded the demo data");
    }
    let state = AppState::with_roots(pool, config.clone(), roots.clone());
    // The outbox worker and the expiry sweep run on every instance (they share the work).
    let _jobs = tollgate_server::jobs::Jobs::start(
        state.pool.clone(),
        std::time::Duration::from_secs(config.expiry_sweep_seconds.max(1)),
        config.webhook_allow.clone(),
        roots.clone(),
        state.metrics.clone(),
    );
    if let Some(smtp) = &config.smtp_url {
        let smtp = tollgate_server::jobs::mail::SmtpConfig::parse(
            smtp,
            config.smtp_password_file.as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("TOLLGATE_SMTP_URL: {e}"))?;
        let mailer = tollgate_server::jobs::mail::Mailer::new(
            state.pool.clone(),
            tollgate_server::jobs::queue::WorkerConfig {
                roots,
                metrics: state.metrics.clone(),
                ..Default::default()
            },
            &smtp,
            &config.mail_from,
            &config.public_url(),
        )
        .map_err(|e| anyhow::anyhow!("email: {e}"))?;
        let _mail = mailer.spawn();
        tracing::info!(smtp = %smtp.describe(), "email notifications on");
    }
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = tollgate_server::http::serve::Tls::load(cert, key)
                .map_err(|e| anyhow::anyhow!("TOLLGATE_TLS_CERT/TOLLGATE_TLS_KEY: {e}"))?;
            tls.reload_on_sighup();
            Some(tls)
        }
        _ => None,
    };
    if let Some(addr) = config.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("TOLLGATE_METRICS_ADDR {addr}: {e}"))?;
        let metrics = tollgate_server::http::metrics::private_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        tracing::info!(%addr, "metrics at /metrics");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    println!("\nTollgate is running at {scheme}://{addr}");
    if demo {
        println!(
            "Demo sign-ins (password {}): admin (super admin), alice, bob (org admin of Default), carol, dave\n",
            tollgate_server::usecases::demo::PASSWORD
        );
    }
    let limits = tollgate_server::http::serve::Limits {
        max_connections: config.max_connections,
        header_timeout: std::time::Duration::from_secs(config.header_timeout_seconds.max(1)),
    };
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let serving =
        tollgate_server::http::serve::serve(listener, router(state), limits, tls, async move {
            shutdown().await;
            let _ = stopping_tx.send(true);
        });
    // Requests in flight get up to 10 seconds to finish once a stop was asked for.
    let deadline = async move {
        let _ = stopping.wait_for(|s| *s).await;
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    };
    tokio::select! {
        r = serving => r?,
        _ = deadline => tracing::warn!("requests still running after 10 s; stopping anyway"),
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tollgate_server::store::live::begin_shutdown();
    tracing::info!("shutting down");
}
