//! Expiry: pending tickets past their `expires_at` become `expired` (core's rule), and
//! everyone concerned is told (in-app notifications, webhooks, live updates).
//!
//! Every instance runs the sweep, but an advisory lock lets exactly one of them do each round;
//! the others skip it. Each ticket expires in a transaction of its own that locks its row, so
//! an approval racing the sweep either wins or waits, never both, and a round of hundreds of
//! tickets never holds many approvers' inbox counters at once.

use std::time::Duration;

use chrono::Utc;
use sqlx::{Connection, PgConnection, PgPool};
use tollgate_app::AppError;
use tollgate_core::TicketState;

use crate::store::expiry as sweeps;
use crate::store::tickets as repo;

/// The advisory lock key of the sweep ("tollgate expiry").
pub const LOCK: i64 = 0x746f_6c6c_6578_7031;

/// Tickets expired in one round at most (the next round takes the rest).
const BATCH: i64 = 500;

/// Expires what is due. Returns how many tickets expired, or `None` when another instance
/// holds the sweep.
pub async fn sweep(pool: &PgPool) -> Result<Option<usize>, AppError> {
    sweep_counted(pool, &crate::metrics::Metrics::default()).await
}

/// [`sweep`], counting the round and the tickets it expired in `metrics`.
pub async fn sweep_counted(
    pool: &PgPool,
    metrics: &crate::metrics::Metrics,
) -> Result<Option<usize>, AppError> {
    let Some(mut conn) = one_instance(pool, LOCK).await? else {
        return Ok(None);
    };
    metrics.expiry_rounds.inc();
    let done = expire_due(&mut conn, metrics).await;
    release(conn, LOCK).await;
    let done = done?;
    if done > 0 {
        tracing::info!(count = done, "tickets expired");
    }
    Ok(Some(done))
}

/// A connection holding the session-level advisory lock `key`, or `None` when another
/// instance holds it (it does this round). Give it back with [`release`].
pub(crate) async fn one_instance(
    pool: &PgPool,
    key: i64,
) -> Result<Option<sqlx::pool::PoolConnection<sqlx::Postgres>>, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(sweeps::try_lock(&mut conn, key).await?.then_some(conn))
}

/// Releases the lock `key` of [`one_instance`]'s connection.
pub(crate) async fn release(mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>, key: i64) {
    if !matches!(sweeps::unlock(&mut conn, key).await, Ok(true)) {
        // Ending the session is what releases the lock then.
        let _ = conn.close().await;
    }
}

async fn expire_due(
    conn: &mut PgConnection,
    metrics: &crate::metrics::Metrics,
) -> Result<usize, AppError> {
    let now = Utc::now();
    let due = sweeps::due(&mut *conn, now, BATCH).await?;
    let mut done = 0;
    for id in due {
        let mut tx = conn.begin().await?;
        let Some(row) = repo::get_for_update(&mut tx, id).await? else {
            continue;
        };
        let ticket = row.to_core()?;
        // core measures the time to live from the opening; ours is stored as a deadline.
        let ttl = row.expires_at - row.created_at;
        // Decided meanwhile: nothing to do (the decision took it out of `pending_expiry`; a row
        // left behind by anything else is removed, so it cannot hold a place in every round).
        let Ok(t) = tollgate_core::expire(&ticket, now, ttl) else {
            if ticket.state != TicketState::Pending {
                sweeps::forget(&mut *tx, id).await?;
                tx.commit().await?;
            }
            continue;
        };
        let inbox = repo::update(&mut tx, &ticket, &t.ticket).await?;
        crate::usecases::outbox::record(&mut tx, &t.ticket, &t.events, "expired", inbox).await?;
        tx.commit().await?;
        metrics.decided(
            t.ticket.ticket_type.as_str(),
            "expired",
            (now - row.created_at).num_milliseconds() as f64 / 1000.0,
        );
        done += 1;
    }
    Ok(done)
}

/// Sweeps every `every` until the task is dropped.
pub fn spawn(
    pool: PgPool,
    every: Duration,
    metrics: crate::metrics::SharedMetrics,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = sweep_counted(&pool, &metrics).await {
                tracing::warn!(error = %e.message, "expiry sweep failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}
