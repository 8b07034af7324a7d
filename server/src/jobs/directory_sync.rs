//! The LDAP sync: people who left the directory (or its user filter) are deactivated, their
//! sessions and tokens ended and their grants revoked. Every instance runs the loop; an
//! advisory lock and the time of the last round (a setting) let one of them do each round.

use std::time::Duration;

use sqlx::PgPool;
use tollgate_app::AppError;

use crate::store::expiry as locks;

/// The advisory lock key of the sync ("tollgate ldapsync").
pub const LOCK: i64 = 0x746f_6c6c_6c64_6170;

/// One round now, whatever the time of the last: how many people it deactivated, or None when
/// LDAP is off or another instance holds the round.
pub async fn run_once(pool: &PgPool, roots: &crate::tls::Roots) -> Result<Option<usize>, AppError> {
    round(pool, roots, false).await
}

async fn round(
    pool: &PgPool,
    roots: &crate::tls::Roots,
    only_when_due: bool,
) -> Result<Option<usize>, AppError> {
    let ldap = crate::usecases::sso::settings(pool).await?.ldap;
    if !ldap.enabled || (only_when_due && ldap.sync_minutes == 0) {
        return Ok(None);
    }
    let mut conn = pool.acquire().await?;
    if !locks::try_lock(&mut conn, LOCK).await? {
        return Ok(None);
    }
    let done = async {
        if only_when_due && !crate::usecases::sso::sync_due(&mut conn, ldap.sync_minutes).await? {
            return Ok(None);
        }
        let n = crate::usecases::sso::deactivate_gone(pool, roots, &ldap).await?;
        crate::usecases::sso::synced(&mut conn).await?;
        Ok::<_, AppError>(Some(n))
    }
    .await;
    if !matches!(locks::unlock(&mut conn, LOCK).await, Ok(true)) {
        let _ = conn.close().await;
    }
    done
}

/// The loop: looks every `tick` whether a round is due.
pub fn spawn(
    pool: PgPool,
    roots: crate::tls::Roots,
    tick: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(tick).await;
            match round(&pool, &roots, true).await {
                Ok(Some(n)) if n > 0 => {
                    tracing::info!(count = n, "the directory sync deactivated people who left")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e.message, "the directory sync failed; it tries again")
                }
            }
        }
    })
}
