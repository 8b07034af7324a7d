//! Live updates across instances. Every change to a ticket sends a [`payload`] inside its
//! transaction (Postgres delivers a NOTIFY only when the transaction commits, so nobody hears
//! of a change that did not happen). Each instance LISTENs and fans what it hears out to its
//! long polls and server-sent-event streams through a broadcast channel.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tollgate_app::AppError;
use uuid::Uuid;

/// The Postgres channel.
pub const CHANNEL: &str = "tollgate_live";

/// NOTIFY payloads are limited to 8000 bytes: past this many watchers the list is left out
/// and each listener asks whether its person may see the ticket before passing it on.
const MAX_USERS: usize = 150;

/// Something happened to a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub ticket_id: Uuid,
    /// What happened: `opened`, `approved`, `rejected`, `closed`, `commented`, …
    pub kind: String,
    /// The ticket's state after it.
    pub state: String,
    /// Who should hear of it (applicant, assignees, CC); empty = too many to name: a listener
    /// checks whether its person may see the ticket.
    pub users: Vec<Uuid>,
    pub at: DateTime<Utc>,
}

/// The NOTIFY payload for `event` (sent with the change, see [`crate::usecases::outbox::record`]).
pub fn payload(mut event: LiveEvent) -> Result<String, AppError> {
    if event.users.len() > MAX_USERS {
        event.users.clear();
    }
    serde_json::to_string(&event).map_err(|_| AppError::internal())
}

/// This instance's end of the channel.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    /// The ACL rules, dropped whenever any instance announces a change (acl_cache.rs).
    acls: std::sync::Arc<crate::usecases::acl_cache::AclCache>,
}

impl Live {
    /// Starts listening (and keeps reconnecting while the database is away).
    pub fn start(pool: PgPool) -> Live {
        let (tx, _) = broadcast::channel(1024);
        let sender = tx.clone();
        let acls = std::sync::Arc::new(crate::usecases::acl_cache::AclCache::default());
        let cache = acls.clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener
                            .listen_all([CHANNEL, crate::usecases::acl_cache::CHANNEL])
                            .await
                        {
                            tracing::warn!(error = %e, "LISTEN failed");
                        } else {
                            // From here on no ACL change is missed; what was cached may be old.
                            cache.set_listening(true);
                            loop {
                                match listener.recv().await {
                                    Ok(n) if n.channel() == crate::usecases::acl_cache::CHANNEL => {
                                        cache.invalidate()
                                    }
                                    Ok(n) => match serde_json::from_str::<LiveEvent>(n.payload()) {
                                        Ok(ev) => {
                                            // No receiver is fine: nobody is waiting.
                                            let _ = sender.send(ev);
                                        }
                                        Err(e) => {
                                            tracing::warn!(error = %e, "a live event does not parse")
                                        }
                                    },
                                    Err(e) => {
                                        tracing::warn!(error = %e, "live listener lost its connection");
                                        break;
                                    }
                                }
                            }
                            cache.set_listening(false);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "live listener cannot connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Live { tx, acls }
    }

    /// The ACL rules of this instance.
    pub fn acls(&self) -> &crate::usecases::acl_cache::AclCache {
        &self.acls
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// How many long polls and event streams of this instance are listening now (a test waits
    /// for its subscriber with it instead of sleeping).
    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// One open event stream of a person on this instance; dropping it gives the place back.
pub struct StreamSlot(Uuid);

static STREAMS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>> =
    std::sync::LazyLock::new(Default::default);

impl StreamSlot {
    /// A place for one more stream of `user`, unless they hold `max` already.
    pub fn take(user: Uuid, max: usize) -> Option<StreamSlot> {
        let mut open = STREAMS.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamSlot(user))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = STREAMS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.0);
            }
        }
    }
}

/// Set once the server begins to shut down: open event streams end then, so a graceful
/// shutdown does not wait forever for browsers that keep their `EventSource` open.
static SHUTDOWN: std::sync::LazyLock<tokio::sync::watch::Sender<bool>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(false).0);

/// Ends every event stream of this process.
pub fn begin_shutdown() {
    SHUTDOWN.send_replace(true);
}

/// Whether [`begin_shutdown`] was called.
pub fn is_shutting_down() -> bool {
    *SHUTDOWN.borrow()
}

/// Completes when [`begin_shutdown`] was called.
pub async fn shutdown_started() {
    let mut rx = SHUTDOWN.subscribe();
    let _ = rx.wait_for(|down| *down).await;
}

/// Waits until `rx` hears of a change to ticket `id` (true) or `until` passes (false). A
/// receiver that fell behind and missed events answers true too: the caller looks again.
pub async fn wait_for_ticket(
    rx: &mut broadcast::Receiver<LiveEvent>,
    id: uuid::Uuid,
    until: tokio::time::Instant,
) -> bool {
    use broadcast::error::RecvError;
    tokio::time::timeout_at(until, async {
        loop {
            match rx.recv().await {
                Ok(e) if e.ticket_id == id => return,
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => return,
                Err(RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    })
    .await
    .is_ok()
}
