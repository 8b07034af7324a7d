//! HTTP tests of the REST API against a real Postgres (one fresh database per test, made by
//! `#[sqlx::test]`) and a real server on a random port.

mod admin;
mod auth;
mod flows;
mod helpers;
mod live;
mod openapi;
mod tokens;
