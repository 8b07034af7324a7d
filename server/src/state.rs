//! What every handler can reach: the pool, the configuration, the use-cases' entry point and
//! this instance's live listener.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;

use crate::config::Config;
use crate::http::backend::Services;

/// What every handler can reach. Nothing here is state that matters across requests:
/// several instances may share one database.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub services: Arc<Services>,
    pub leptos: LeptosOptions,
    /// What this instance hears of changes made on any instance.
    pub live: crate::store::live::Live,
    /// This instance's counters and histograms (`/metrics`).
    pub metrics: crate::metrics::SharedMetrics,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

impl AppState {
    /// The state of an instance whose TLS clients trust `config`'s roots (`TOLLGATE_CA_FILE`
    /// read now; a file that cannot be read leaves the Mozilla roots, as the binary refused it
    /// before).
    pub fn new(pool: PgPool, config: Config) -> Self {
        let roots = config
            .roots()
            .unwrap_or_else(|_| crate::tls::Roots::mozilla());
        Self::with_roots(pool, config, roots)
    }

    /// The state of an instance whose TLS clients trust `roots`.
    pub fn with_roots(pool: PgPool, config: Config, roots: crate::tls::Roots) -> Self {
        let config = Arc::new(config);
        let leptos = LeptosOptions::builder()
            .output_name("tollgate")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        let live = crate::store::live::Live::start(pool.clone());
        let metrics = crate::metrics::SharedMetrics::default();
        AppState {
            services: Arc::new(Services::new(
                pool.clone(),
                config.clone(),
                live.clone(),
                metrics.clone(),
                roots,
            )),
            live,
            metrics,
            pool,
            config,
            leptos,
        }
    }
}
