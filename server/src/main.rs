//! `tollgate`: serve (default), create an admin, or manage the private Postgres.

use clap::{Parser, Subcommand};
use tollgate_server::store::local_pg::LocalPg;
use tollgate_server::{connect, ensure_admin, prepare, router, AppState, Config};
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
    },
}

#[tokio::main]
async fn main() {
    tollgate_server::identity::password::return_large_blocks_to_the_system();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => serve(cli.config).await,
        Cmd::CreateAdmin { username, password } => {
            create_admin(cli.config, &username, &password).await
        }
        Cmd::LocalPg {
            data,
            port,
            database,
            fast,
            fresh,
            stop,
        } => local_pg(&data, port, &database, fast, fresh, stop),
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
) -> anyhow::Result<()> {
    let pg = LocalPg::new(data, port, fast)?;
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

/// The database URL: the configured one, or the private Postgres (started if needed).
fn database_url(config: &Config) -> anyhow::Result<(String, bool)> {
    match &config.database_url {
        Some(url) => Ok((url.clone(), false)),
        None => {
            let pg = LocalPg::new(&config.data_dir.join("pg"), config.pg_port, false)?;
            pg.ensure_started("tollgate")?;
            Ok((pg.socket_url("tollgate"), true))
        }
    }
}

async fn create_admin(config: Config, username: &str, password: &str) -> anyhow::Result<()> {
    let (url, _) = database_url(&config)?;
    let pool = connect(&url, 2).await?;
    prepare(&pool).await?;
    if ensure_admin(&pool, username, password).await? {
        println!("created super admin {username}");
    } else {
        println!("a user named {username} exists already; nothing changed");
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (url, private) = database_url(&config)?;
    let pool = connect(&url, config.db_pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    prepare(&pool).await?;
    if let (Some(u), Some(p)) = (&config.admin_username, &config.admin_password) {
        if ensure_admin(&pool, u, p).await? {
            tracing::info!(username = %u, "created the bootstrap super admin");
        }
    }
    let demo = config.demo.unwrap_or(private);
    if demo
        && tollgate_server::usecases::demo::load(&pool)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
    {
        tracing::info!("loaded the demo data");
    }
    let state = AppState::new(pool, config.clone());
    // The outbox worker and the expiry sweep run on every instance (they share the work).
    let _jobs = tollgate_server::jobs::Jobs::start(
        state.pool.clone(),
        std::time::Duration::from_secs(config.expiry_sweep_seconds.max(1)),
        config.webhook_allow.clone(),
    );
    if let Some(smtp) = &config.smtp_url {
        let mailer = tollgate_server::jobs::mail::Mailer::new(
            state.pool.clone(),
            tollgate_server::jobs::queue::WorkerConfig::default(),
            smtp,
            &config.mail_from,
            &config.public_url(),
        )
        .map_err(|e| anyhow::anyhow!("email: {e}"))?;
        let _mail = mailer.spawn();
        tracing::info!(%smtp, "email notifications on");
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    println!("\nTollgate is running at http://{addr}");
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
        tollgate_server::http::serve::serve(listener, router(state), limits, async move {
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
