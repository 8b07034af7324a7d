//! The use-cases, by domain. Each state change is one transaction that runs core's rules;
//! the SQL they run is the store's, the HTTP answers are the edge's.

pub mod acl_cache;
pub mod acls;
pub mod admin;
pub mod delegations;
pub mod demo;
pub mod flows;
pub mod gateway;
pub mod grants;
pub mod mail_links;
pub mod notifications;
pub mod outbox;
pub mod policy;
pub mod sso;
pub mod templates;
pub mod tickets;
pub mod webhooks;
