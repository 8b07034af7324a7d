//! Database errors by meaning. A statement that breaks a constraint says by the constraint's
//! name what went wrong ("that username is taken", "no such org"), so the store function that
//! runs it answers with that meaning: `.on_constraint("users_username_key", |_| ...)` (the
//! pattern of launchbadge's realworld-axum-sqlx). Every other error converts as usual
//! (`From<sqlx::Error> for AppError`): a pool or connection error is a 503 wherever it happens.
//!
//! It lives in the store because only the store sees a `sqlx::Error` (once converted, an
//! `AppError` no longer knows the constraint) and only the store knows the constraints' names
//! (server/migrations). `AppError` itself is in the app crate, which the browser build shares
//! without sqlx.

use sqlx::error::DatabaseError;
use tollgate_app::AppError;

pub trait ResultExt<T> {
    /// The error `f` makes when the statement broke the constraint (or unique index) `name`;
    /// any other error converts as usual.
    fn on_constraint(
        self,
        name: &str,
        f: impl FnOnce(Box<dyn DatabaseError>) -> AppError,
    ) -> Result<T, AppError>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_constraint(
        self,
        name: &str,
        f: impl FnOnce(Box<dyn DatabaseError>) -> AppError,
    ) -> Result<T, AppError> {
        self.map_err(|e| match e {
            sqlx::Error::Database(db) if db.constraint() == Some(name) => f(db),
            e => AppError::from(e),
        })
    }
}

/// A 409 `already_exists` on `field`: "`what` "`name`" already exists."
pub fn taken(what: &str, name: &str, field: &str) -> AppError {
    let mut e = AppError::conflict("already_exists", format!("{what} {name:?} already exists."));
    e.field = Some(field.to_string());
    e
}
