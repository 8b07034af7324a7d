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
/// and every listener treats the event as possibly theirs (they re-read with a permission check).
const MAX_USERS: usize = 150;

/// Something happened to a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub ticket_id: Uuid,
    /// What happened: `opened`, `approved`, `rejected`, `closed`, `commented`, …
    pub kind: String,
    /// The ticket's state after it.
    pub state: String,
    /// Who should hear of it (applicant, assignees, CC); empty = unknown, ask again.
    pub users: Vec<Uuid>,
    pub at: DateTime<Utc>,
}

impl LiveEvent {
    pub fn concerns(&self, user: Uuid) -> bool {
        self.users.is_empty() || self.users.contains(&user)
    }
}

/// The NOTIFY payload for `event` (sent with the change, see [`crate::outbox::record`]).
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
}

impl Live {
    /// Starts listening (and keeps reconnecting while the database is away).
    pub fn start(pool: PgPool) -> Live {
        let (tx, _) = broadcast::channel(1024);
        let sender = tx.clone();
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(CHANNEL).await {
                            tracing::warn!(error = %e, "LISTEN failed");
                        } else {
                            loop {
                                match listener.recv().await {
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
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "live listener cannot connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Live { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
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
