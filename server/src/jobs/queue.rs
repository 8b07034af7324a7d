//! One leased queue, two workers (mail, webhook delivery). A worker claims a batch of due
//! rows (`FOR UPDATE SKIP LOCKED`; each claim counts the attempt and hides the row for a
//! lease), handles each, then marks it done, or failed: retried after a backoff that doubles
//! with every attempt (up to an hour), or given up after the last attempt. An instance that
//! dies mid-way leaves its claimed rows to be claimed again when the lease ends, so every
//! message is handled at least once. The SQL is the store's ([`crate::store::queue`]).

use std::future::Future;
use std::time::Duration;

use sqlx::PgPool;
use tollgate_app::AppError;
use uuid::Uuid;

pub use crate::store::queue::Queue;

/// How a worker claims and retries.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claimed row stays invisible to other workers (longer than a delivery may take).
    pub lease: Duration,
    /// The first retry's delay; each further one doubles it (up to an hour).
    pub backoff: Duration,
    /// After this many failed attempts the message is given up (`failed_at`).
    pub max_attempts: i32,
    /// Rows claimed at once.
    pub batch: i64,
    /// Pause between polls when nothing is due.
    pub poll: Duration,
    /// Time limit of one delivery (an HTTP request, an SMTP conversation).
    pub timeout: Duration,
    /// Internal addresses webhooks may reach anyway (`TOLLGATE_WEBHOOK_ALLOW`; see egress.rs).
    pub webhook_allow: Option<tollgate_core::IpList>,
    /// The certificates trusted beyond the Mozilla roots (`TOLLGATE_CA_FILE`).
    pub roots: crate::tls::Roots,
    /// Where deliveries and failed attempts are counted.
    pub metrics: crate::metrics::SharedMetrics,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease: Duration::from_secs(60),
            backoff: Duration::from_secs(5),
            max_attempts: 12,
            batch: 20,
            poll: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            webhook_allow: None,
            roots: crate::tls::Roots::mozilla(),
            metrics: Default::default(),
        }
    }
}

impl WorkerConfig {
    /// The wait before the next attempt after `attempts` failed ones: `backoff`, doubled for
    /// each further attempt, at most an hour.
    pub fn retry_delay(&self, attempts: i32) -> Duration {
        self.backoff
            .saturating_mul(1u32 << (attempts - 1).clamp(0, 20) as u32)
            .min(Duration::from_secs(3600))
    }
}

trait QueueLabel {
    fn label(self) -> crate::metrics::QueueLabels;
}

impl QueueLabel for Queue {
    fn label(self) -> crate::metrics::QueueLabels {
        crate::metrics::QueueLabels {
            queue: match self {
                Queue::Mail => "mail",
                Queue::Outbox => "webhooks",
            },
        }
    }
}

/// A worker of a leased queue: which queue, how it claims, and what it does with a row.
pub trait QueueWorker: Send + Sync + 'static {
    /// A claimed row.
    type Item: Send + Sync;

    /// The queue it works.
    const QUEUE: Queue;

    fn pool(&self) -> &PgPool;

    fn config(&self) -> &WorkerConfig;

    /// Claims up to `config().batch` due rows for the lease.
    fn claim(&self) -> impl Future<Output = Result<Vec<Self::Item>, AppError>> + Send;

    /// The row's id.
    fn id(item: &Self::Item) -> Uuid;

    /// The row's attempts, this one included.
    fn attempts(item: &Self::Item) -> i32;

    /// Does the work of one row (sends the mail, delivers the message): what the other side
    /// answered (kept where the queue keeps it), or the error, which is recorded.
    fn handle(
        &self,
        item: &Self::Item,
    ) -> impl Future<Output = Result<Option<String>, String>> + Send;
}

/// Records a failed attempt: retried after [`WorkerConfig::retry_delay`], or given up when
/// it was the last one.
async fn failed<W: QueueWorker>(
    w: &W,
    id: Uuid,
    attempts: i32,
    error: &str,
) -> Result<(), AppError> {
    let cfg = w.config();
    cfg.metrics
        .delivery_failures
        .get_or_create(&W::QUEUE.label())
        .inc();
    let give_up = attempts >= cfg.max_attempts;
    let delay = cfg.retry_delay(attempts);
    tracing::info!(queue = ?W::QUEUE, %id, attempt = attempts, error, "attempt failed; will retry");
    crate::store::queue::failed(
        w.pool(),
        W::QUEUE,
        id,
        &error.chars().take(500).collect::<String>(),
        delay.as_secs_f64(),
        give_up,
    )
    .await?;
    if give_up {
        tracing::warn!(queue = ?W::QUEUE, %id, error, "message given up");
    }
    Ok(())
}

/// Claims one batch and handles it. Returns how many rows were done.
pub async fn run_once<W: QueueWorker>(w: &W) -> Result<usize, AppError> {
    let rows = w.claim().await?;
    let mut done = 0;
    for row in &rows {
        match w.handle(row).await {
            Ok(answer) => {
                crate::store::queue::done(w.pool(), W::QUEUE, W::id(row), answer.as_deref())
                    .await?;
                w.config()
                    .metrics
                    .deliveries
                    .get_or_create(&W::QUEUE.label())
                    .inc();
                done += 1;
            }
            Err(e) => failed(w, W::id(row), W::attempts(row), &e).await?,
        }
    }
    Ok(done)
}

/// Runs `w` until the task is dropped: a batch whenever something is due, else a pause of
/// `poll`.
pub fn spawn<W: QueueWorker>(w: W) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&w).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(queue = ?W::QUEUE, error = %e.message, "queue worker"),
            }
            tokio::time::sleep(w.config().poll).await;
        }
    })
}
