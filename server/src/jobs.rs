//! Background jobs every instance runs: the outbox worker and the expiry sweep. Both are safe
//! to run on many instances at once (SKIP LOCKED claims, an advisory lock per sweep).

use std::time::Duration;

use sqlx::PgPool;

use crate::outbox::{Worker, WorkerConfig};

/// The running jobs; dropping this does not stop them, [`Jobs::stop`] does.
pub struct Jobs {
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Jobs {
    pub fn start(
        pool: PgPool,
        sweep_every: Duration,
        webhook_allow: Option<tollgate_core::IpList>,
    ) -> Jobs {
        let worker = Worker::new(
            pool.clone(),
            WorkerConfig {
                webhook_allow,
                ..WorkerConfig::default()
            },
        );
        Jobs {
            handles: vec![worker.spawn(), crate::expiry::spawn(pool, sweep_every)],
        }
    }

    pub fn stop(self) {
        for h in self.handles {
            h.abort();
        }
    }
}
