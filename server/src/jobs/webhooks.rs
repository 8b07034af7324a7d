//! Webhook delivery: the worker that POSTs the outbox's messages (written with their ticket
//! event by [`crate::usecases::outbox::record`]), signed with each webhook's secret.
//!
//! Workers on any instance claim due rows with `FOR UPDATE SKIP LOCKED`, counting the attempt
//! and pushing `visible_at` forward by a lease in the same statement, then commit and deliver.
//! Success marks the row delivered; failure schedules a retry with exponential backoff; an
//! instance that dies mid-way leaves its claimed rows to be claimed again when the lease ends.
//!
//! The guarantee for external deliveries is **at least once**: a message is never lost, and it
//! is sent again only when an instance died (or the lease ran out) after the receiver got it
//! and before the delivery was recorded. Every attempt of one message carries the same id
//! (`X-Tollgate-Delivery`), so receivers drop the repeat by that key; exactly-once delivery
//! over HTTP is not possible without the receiver's help.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tollgate_app::AppError;
use uuid::Uuid;

/// HMAC-SHA256 (RFC 2104) of `body` under `key`, as lowercase hex.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(body);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub use crate::store::outbox::Claimed;

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
    /// Time limit of one HTTP delivery.
    pub timeout: Duration,
    /// Internal addresses webhooks may reach anyway (`TOLLGATE_WEBHOOK_ALLOW`; see egress.rs).
    pub webhook_allow: Option<tollgate_core::IpList>,
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
        }
    }
}

/// Claims up to `batch` due rows: each gets its attempt counted and is hidden for the lease,
/// in one statement, so two workers never hold the same row.
pub async fn claim(pool: &PgPool, cfg: &WorkerConfig) -> Result<Vec<Claimed>, AppError> {
    crate::store::outbox::claim(pool, cfg.batch, cfg.lease.as_secs_f64()).await
}

async fn mark_delivered(pool: &PgPool, id: Uuid) -> Result<(), AppError> {
    crate::store::outbox::delivered(pool, id).await
}

async fn mark_failed(
    pool: &PgPool,
    cfg: &WorkerConfig,
    row: &Claimed,
    error: &str,
) -> Result<(), AppError> {
    let give_up = row.attempts >= cfg.max_attempts;
    let delay = cfg
        .backoff
        .saturating_mul(1u32 << (row.attempts - 1).clamp(0, 20) as u32)
        .min(Duration::from_secs(3600));
    crate::store::outbox::failed(
        pool,
        row.id,
        &error.chars().take(500).collect::<String>(),
        delay.as_secs_f64(),
        give_up,
    )
    .await?;
    if give_up {
        tracing::warn!(id = %row.id, error, "outbox message given up");
    }
    Ok(())
}

/// Delivers outbox messages; any number of these may run on any number of instances.
#[derive(Clone)]
pub struct Worker {
    pool: PgPool,
    cfg: WorkerConfig,
    http: reqwest::Client,
}

impl Worker {
    pub fn new(pool: PgPool, cfg: WorkerConfig) -> Worker {
        // Redirects are not followed, and only allowed addresses are connected to.
        let http = crate::jobs::egress::client(cfg.webhook_allow.clone(), cfg.timeout);
        Worker { pool, cfg, http }
    }

    async fn deliver(&self, row: &Claimed) -> Result<(), String> {
        match row.channel.as_str() {
            "webhook" => {
                let (Some(url), Some(secret)) = (&row.url, &row.secret) else {
                    return Err("the webhook was removed".into());
                };
                if row.active == Some(false) {
                    return Err("the webhook is switched off".into());
                }
                crate::jobs::egress::check_url_host(url, self.cfg.webhook_allow.as_ref())?;
                let body = serde_json::to_vec(&row.payload).map_err(|e| e.to_string())?;
                let event = row.payload["event"].as_str().unwrap_or("").to_string();
                let r = self
                    .http
                    .post(url)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Tollgate-Webhook/1")
                    .header("X-Tollgate-Event", event)
                    .header("X-Tollgate-Delivery", row.id.to_string())
                    .header("X-Tollgate-Attempt", row.attempts.to_string())
                    .header(
                        "X-Tollgate-Signature",
                        format!("sha256={}", sign(secret.as_bytes(), &body)),
                    )
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| {
                        format!("request failed: {}", crate::jobs::egress::error_chain(&e))
                    })?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the receiver answered {}", r.status()))
                }
            }
            other => Err(format!("unknown channel {other}")),
        }
    }

    /// Claims one batch and delivers it. Returns how many were delivered.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let rows = claim(&self.pool, &self.cfg).await?;
        let mut delivered = 0;
        for row in &rows {
            match self.deliver(row).await {
                Ok(()) => {
                    mark_delivered(&self.pool, row.id).await?;
                    delivered += 1;
                }
                Err(e) => {
                    tracing::info!(id = %row.id, attempt = row.attempts, error = %e, "delivery failed; will retry");
                    mark_failed(&self.pool, &self.cfg, row, &e).await?;
                }
            }
        }
        Ok(delivered)
    }

    /// Runs until the task is dropped: a batch whenever something is due.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.message, "outbox worker"),
                }
                tokio::time::sleep(self.cfg.poll).await;
            }
        })
    }
}

/// A message's delivery state (for tests and the admin API).
pub async fn status(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<(i32, Option<DateTime<Utc>>, Option<String>)>, AppError> {
    crate::store::outbox::status(pool, id).await
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
