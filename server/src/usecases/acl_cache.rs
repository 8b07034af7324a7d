//! The ACL rules of this instance, kept in memory between changes.
//!
//! Login rules are consulted on every signed-in request and command rules on every gateway
//! question; both are few and change rarely, while a command group's regular expressions are
//! costly to compile. So each (kind, org) list is read and compiled once and kept until any
//! instance changes an ACL: every change sends a NOTIFY on [`CHANNEL`] in its transaction,
//! and this instance's listener ([`crate::store::live::Live`]) then moves the generation on, which
//! makes every cached list stale. While the listener is not connected (at start-up, or while
//! the database is away) nothing is cached, so a change is never missed. Compiling happens on
//! the blocking pool, never on the async threads.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::usecases::acls::AclKind;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tollgate_app::AppError;
use uuid::Uuid;

/// The Postgres channel on which ACL changes are announced.
pub const CHANNEL: &str = "tollgate_acls";

type Entry = (u64, Arc<dyn Any + Send + Sync>);

/// Compiled rules by (kind, org), valid for one generation.
#[derive(Default)]
pub struct AclCache {
    generation: AtomicU64,
    listening: AtomicBool,
    entries: Mutex<HashMap<(AclKind, Option<Uuid>), Entry>>,
}

impl AclCache {
    /// The active rules of `kind` for `org` (None for the global login rules), compiled.
    pub async fn rules<T>(
        &self,
        pool: &PgPool,
        kind: AclKind,
        org: Option<Uuid>,
    ) -> Result<Arc<Vec<T>>, AppError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        // Read before the query: a change during it leaves this entry stale at once.
        let generation = self.generation.load(Ordering::SeqCst);
        let listening = self.listening.load(Ordering::SeqCst);
        if listening {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((g, v)) = entries.get(&(kind, org)) {
                if *g == generation {
                    if let Ok(v) = v.clone().downcast::<Vec<T>>() {
                        return Ok(v);
                    }
                }
            }
        }
        let rows = crate::usecases::acls::rule_rows(pool, kind, org).await?;
        let rules: Vec<T> = tokio::task::spawn_blocking(move || {
            rows.into_iter()
                .map(|r| serde_json::from_value(r).map_err(crate::usecases::acls::bad_row))
                .collect::<Result<Vec<T>, AppError>>()
        })
        .await
        .map_err(|_| AppError::internal())??;
        let rules = Arc::new(rules);
        if listening {
            self.entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((kind, org), (generation, rules.clone()));
        }
        Ok(rules)
    }

    /// Some ACL changed (or changes may have been missed): every cached list is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The listener is connected (true) or lost (false); either way what is cached may be old.
    pub fn set_listening(&self, on: bool) {
        self.listening.store(on, Ordering::SeqCst);
        self.invalidate();
    }
}
