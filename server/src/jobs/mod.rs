//! Background jobs every instance runs: the webhook delivery worker, the mail worker, the
//! expiry sweep, the level timers' sweep and the directory sync. All are safe to run on many instances at once (SKIP LOCKED claims, an
//! advisory lock per sweep).

pub mod directory_sync;
pub mod egress;
pub mod expiry;
pub mod mail;
pub mod queue;
pub mod timers;
pub mod webhooks;

use std::time::Duration;

use sqlx::PgPool;

use crate::jobs::queue::WorkerConfig;
use crate::jobs::webhooks::Worker;

/// The running jobs; dropping this does not stop them, [`Jobs::stop`] does.
pub struct Jobs {
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Jobs {
    pub fn start(
        pool: PgPool,
        sweep_every: Duration,
        webhook_allow: Option<tollgate_core::IpList>,
        roots: crate::tls::Roots,
        metrics: crate::metrics::SharedMetrics,
    ) -> Jobs {
        let worker = Worker::new(
            pool.clone(),
            WorkerConfig {
                webhook_allow,
                roots: roots.clone(),
                metrics: metrics.clone(),
                ..WorkerConfig::default()
            },
        );
        Jobs {
            handles: vec![
                worker.spawn(),
                crate::jobs::expiry::spawn(pool.clone(), sweep_every, metrics),
                crate::jobs::timers::spawn(pool.clone(), sweep_every),
                crate::jobs::directory_sync::spawn(pool, roots, Duration::from_secs(60)),
            ],
        }
    }

    pub fn stop(self) {
        for h in self.handles {
            h.abort();
        }
    }
}
