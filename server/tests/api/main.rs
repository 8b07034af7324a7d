//! HTTP tests of the REST API against a real Postgres (one fresh database per test, made by
//! `#[sqlx::test]`) and a real server on a random port.

mod acls;
mod admin;
mod audit;
mod auth;
mod conformance;
mod errors;
mod faults;
mod flows;
mod gateway;
mod grants;
mod held;
mod helpers;
mod live;
mod mail;
mod matrix;
mod metrics;
mod notifications;
mod odd_inputs;
mod openapi;
mod ops;
mod pickers;
mod pki;
mod races;
mod ratelimit;
mod review;
mod review_gateway;
mod review_inputs;
mod roles;
mod secrets;
mod security;
mod sso;
mod tickets;
mod tls;
mod tokens;
mod webhooks;
