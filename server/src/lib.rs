//! Tollgate's server. Each folder is one layer (docs/architecture.md draws them):
//!
//! - [`http`]: the edge: router, REST handlers, middleware, security headers, the listener.
//! - [`identity`]: who is calling: sessions, passwords, rate limits, tokens, the held sign-in.
//! - [`usecases`]: what may happen, by domain: tickets, flows, ACLs, gateway, notifications,
//!   webhooks, administration. Each runs core's rules in one transaction.
//! - [`jobs`]: background work: expiry, webhook delivery, mail.
//! - [`store`]: all SQL, migrations, the private Postgres, LISTEN/NOTIFY.
//! - [`tls`]: the one TLS stack of every client and of the listener.
//!
//! This file only wires them together.

pub mod config;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod metrics;
pub mod state;
pub mod store;
pub mod tls;
pub mod usecases;

pub use config::Config;
pub use http::router;
pub use state::AppState;
pub use store::{begin_generic, connect, connect_with, prepare, BEGIN_GENERIC, MIGRATOR};
pub use usecases::admin::people::ensure_admin;
