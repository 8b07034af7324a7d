//! The level timers' sweep (core/src/timers.rs): reminders, escalations and timed ends that
//! are due run, and everyone concerned is told as for any change (in-app, mail, webhooks, live
//! updates). The same round hands the delegations that have started the tickets already
//! waiting on their person, and tells holders of grants that end soon.
//!
//! As the expiry sweep: every instance tries each round, an advisory lock lets one of them do
//! it; each ticket changes in a transaction of its own that locks its row, skipping a ticket
//! another transaction holds (a decision under way: it either wins, or the timer runs on the
//! next round), so a racing approval and an escalation have one outcome.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, PgPool};
use tollgate_app::AppError;
use tollgate_core::RuleError;

use crate::jobs::expiry::{one_instance, release};
use crate::store::tickets as repo;

/// The advisory lock key of the sweep ("tollgate timers").
pub const LOCK: i64 = 0x746f_6c6c_7469_6d31;

/// Tickets whose timers run in one round at most (the next round takes the rest).
const BATCH: i64 = 500;

/// Runs the timers due now (and tells the holders of grants ending soon). Returns how many
/// tickets changed and holders were told, or `None` when another instance
/// holds the sweep.
pub async fn sweep(pool: &PgPool) -> Result<Option<usize>, AppError> {
    sweep_at(pool, Utc::now()).await
}

/// [`sweep`] as if it were `now`.
pub async fn sweep_at(pool: &PgPool, now: DateTime<Utc>) -> Result<Option<usize>, AppError> {
    let Some(mut conn) = one_instance(pool, LOCK).await? else {
        return Ok(None);
    };
    let done = async {
        let n = run_due(&mut conn, now).await?;
        let n = n + crate::usecases::delegations::start_due(&mut conn, now).await?;
        Ok::<_, AppError>(n + tell_grants_ending(&mut conn, now).await?)
    }
    .await;
    release(conn, LOCK).await;
    let done = done?;
    if done > 0 {
        tracing::info!(count = done, "level timers ran");
    }
    Ok(Some(done))
}

async fn run_due(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    let due = repo::timers_due(&mut *conn, now, BATCH).await?;
    let mut done = 0;
    for id in due {
        let mut tx = conn.begin().await?;
        // Held by a decision under way: the next round sees what it left.
        let Some(row) = repo::get_for_update_skip_locked(&mut tx, id).await? else {
            continue;
        };
        let ticket = row.to_core()?;
        let named: Vec<_> = ticket
            .current_step()
            .and_then(|s| s.timers.escalate.as_ref())
            .map(|e| e.selector.users.clone())
            .unwrap_or_default();
        let directory =
            crate::store::directory::directory_for(&mut tx, ticket.org_id, &named).await?;
        let t = match tollgate_core::timers::run(&ticket, &directory, now) {
            Ok(t) => t,
            Err(RuleError::NotDue | RuleError::AlreadyClosed) => {
                // Nothing due (decided or moved on meanwhile): the row says when, if ever.
                repo::set_timer(&mut tx, id, tollgate_core::timers::next_due(&ticket)).await?;
                tx.commit().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let inbox = repo::update(&mut tx, &ticket, &t.ticket).await?;
        let kind = t.events.last().map_or("changed", |e| e.kind.as_str());
        crate::usecases::outbox::record(&mut tx, &t.ticket, &t.events, kind, inbox).await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// Tells the holders of grants that end within the `grant_ending_notice_hours` setting (none
/// when 0), once per grant.
async fn tell_grants_ending(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let hours = crate::usecases::admin::settings::get(&mut *conn)
        .await?
        .grant_ending_notice_hours;
    if hours <= 0 {
        return Ok(0);
    }
    let until = now + chrono::Duration::hours(hours);
    let n = crate::store::grants::tell_ending(&mut *conn, now, until, BATCH).await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Sweeps every `every` until the task is dropped.
pub fn spawn(pool: PgPool, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = sweep(&pool).await {
                tracing::warn!(error = %e.message, "level timer sweep failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}
