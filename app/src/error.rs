//! The one error type that crosses the wire: REST responses, server functions and the pages
//! all speak it. `{"error": {"code", "message", "details"}}` on the REST side (SPEC §8).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a client may see: an HTTP status, a stable machine code, a sentence for people,
/// and optionally the field it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct AppError {
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    /// The message without the field path it starts with ("comment: a reason is required" →
    /// "a reason is required"), for a page that shows it at the field.
    pub fn message_at_field(&self) -> String {
        self.field
            .as_deref()
            .and_then(|f| self.message.strip_prefix(&format!("{f}: ")))
            .map_or_else(|| self.message.clone(), str::to_string)
    }

    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            field: None,
            details: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "Please sign in.")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found."))
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    /// A value that parsed but is not acceptable, tied to the field it is about.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            ..Self::new(422, "invalid", message)
        }
    }
    pub fn too_many(message: impl Into<String>) -> Self {
        Self::new(429, "too_many_requests", message)
    }
    pub fn unavailable() -> Self {
        Self::new(
            503,
            "unavailable",
            "The database is not reachable right now; try again shortly.",
        )
    }
    /// Something went wrong on our side; the details go to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(500, "internal", "Something went wrong on our side.")
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::bad_request(m)
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::new(
                0,
                "network",
                "Tollgate could not be reached. Check your connection and try again.",
            ),
            other => {
                let mut e = AppError::internal();
                e.details = Some(serde_json::Value::String(other.to_string()));
                e
            }
        }
    }
}

impl From<tollgate_core::RuleError> for AppError {
    fn from(e: tollgate_core::RuleError) -> Self {
        let mut out = AppError::new(e.http_status(), e.code(), e.to_string());
        if let tollgate_core::RuleError::Invalid { field, .. } = &e {
            out.field = Some(field.to_string());
        }
        out
    }
}

#[cfg(feature = "ssr")]
pub use server_side::POOL_TIMEOUTS;

#[cfg(feature = "ssr")]
mod server_side {
    use super::AppError;
    use axum::response::{IntoResponse, Response};

    /// Database connections this process waited for until the pool's acquire timeout, and did
    /// not get (each answered 503): the metric `tollgate_db_pool_timeouts_total`.
    pub static POOL_TIMEOUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            if matches!(e, sqlx::Error::PoolTimedOut) {
                POOL_TIMEOUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            match &e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::Io(_)
                | sqlx::Error::PoolClosed
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed => {
                    tracing::warn!(error = %e, "database unavailable");
                    AppError::unavailable()
                }
                // Postgres going away under a running query: shutting down (57P01/57P02),
                // starting up (57P03), or the connection broken (class 08).
                sqlx::Error::Database(db)
                    if db.code().is_some_and(|c| {
                        matches!(c.as_ref(), "57P01" | "57P02" | "57P03") || c.starts_with("08")
                    }) =>
                {
                    tracing::warn!(error = %e, "database unavailable");
                    AppError::unavailable()
                }
                // Two transactions waited for each other (or a serializable one lost): nothing
                // was written; the client may simply try again.
                sqlx::Error::Database(db)
                    if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
                {
                    tracing::warn!(error = %e, "transaction aborted by a conflict");
                    AppError::new(
                        503,
                        "busy",
                        "Another change got in the way and nothing was saved; try again.",
                    )
                }
                sqlx::Error::RowNotFound => AppError::not_found("Record"),
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    AppError::conflict("already_exists", "That already exists.")
                }
                // NUL bytes and text Postgres cannot store, or too long for a column: the
                // client's input, not our failure.
                sqlx::Error::Database(db)
                    if matches!(db.code().as_deref(), Some("22021" | "22P05" | "22001")) =>
                {
                    AppError::new(
                        422,
                        "invalid",
                        "A value contains characters or a length that cannot be stored.",
                    )
                }
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => AppError::invalid(
                    db.constraint().unwrap_or("reference"),
                    "It refers to something that does not exist or is still in use.",
                ),
                _ => {
                    tracing::error!(error = %e, "database error");
                    AppError::internal()
                }
            }
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = axum::http::StatusCode::from_u16(self.status)
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut error = serde_json::json!({"code": self.code, "message": self.message});
            if let Some(field) = &self.field {
                error["field"] = field.clone().into();
            }
            // A 429 that knows when to come back says so in the standard header too.
            let retry_after = self
                .details
                .as_ref()
                .and_then(|d| d.get("retry_after_seconds"))
                .and_then(|s| s.as_u64())
                .filter(|_| self.status == 429);
            if let Some(d) = self.details {
                error["details"] = d;
            }
            let mut response =
                (status, axum::Json(serde_json::json!({ "error": error }))).into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            response
        }
    }
}
