//! Webhook delivery: the worker that POSTs the outbox's messages (written with their ticket
//! event by [`crate::usecases::outbox::record`]), signed with each webhook's secret.
//!
//! The `outbox` is a leased queue (jobs/queue.rs): workers on any instance claim due rows with
//! `FOR UPDATE SKIP LOCKED`, counting the attempt and pushing `visible_at` forward by a lease
//! in the same statement, then commit and deliver. Success marks the row delivered; failure
//! schedules a retry with exponential backoff; an instance that dies mid-way leaves its
//! claimed rows to be claimed again when the lease ends.
//!
//! The guarantee for external deliveries is **at least once**: a message is never lost, and it
//! is sent again only when an instance died (or the lease ran out) after the receiver got it
//! and before the delivery was recorded. Every attempt of one message carries the same id
//! (`X-Tollgate-Delivery`), so receivers drop the repeat by that key; exactly-once delivery
//! over HTTP is not possible without the receiver's help.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::jobs::queue::{self, Queue, QueueWorker, WorkerConfig};
use crate::store::queue::OutboxDue as Claimed;

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
        let http = crate::jobs::egress::client(cfg.webhook_allow.clone(), cfg.timeout, &cfg.roots);
        Worker { pool, cfg, http }
    }

    /// Posts the message; the receiver's answer (status and the start of its body) when it
    /// took it (2xx), else why not.
    async fn deliver(&self, row: &Claimed) -> Result<String, String> {
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
                        crate::tls::with_explanation(format!(
                            "request failed: {}",
                            crate::jobs::egress::error_chain(&e)
                        ))
                    })?;
                let ok = r.status().is_success();
                let answer = answer_of(r).await;
                if ok {
                    Ok(answer)
                } else {
                    Err(format!("the receiver answered {answer}"))
                }
            }
            other => Err(format!("unknown channel {other}")),
        }
    }

    /// Claims one batch and delivers it. Returns how many were delivered.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        queue::run_once(self).await
    }

    /// Runs until the task is dropped: a batch whenever something is due.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        queue::spawn(self)
    }
}

impl QueueWorker for Worker {
    type Item = Claimed;
    const QUEUE: Queue = Queue::Outbox;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn config(&self) -> &WorkerConfig {
        &self.cfg
    }

    async fn claim(&self) -> Result<Vec<Claimed>, AppError> {
        crate::store::queue::claim_outbox(&self.pool, self.cfg.batch, self.cfg.lease.as_secs_f64())
            .await
    }

    fn id(row: &Claimed) -> Uuid {
        row.id
    }

    fn attempts(row: &Claimed) -> i32 {
        row.attempts
    }

    async fn handle(&self, row: &Claimed) -> Result<Option<String>, String> {
        self.deliver(row).await.map(Some)
    }
}

/// The most of a receiver's body kept with its answer.
const ANSWER_BODY_CHARS: usize = 200;

/// `200 OK: <the start of the body>` (the status alone when the body is empty): at most
/// [`ANSWER_BODY_CHARS`] characters of it are read, control characters left out.
async fn answer_of(mut r: reqwest::Response) -> String {
    let status = r.status();
    let mut bytes = Vec::new();
    while bytes.len() < ANSWER_BODY_CHARS * 4 {
        match r.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let body: String = String::from_utf8_lossy(&bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(ANSWER_BODY_CHARS)
        .collect();
    let body = body.trim();
    if body.is_empty() {
        status.to_string()
    } else {
        format!("{status}: {body}")
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
