//! Extractors that turn bad requests into our JSON errors instead of axum's plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

/// JSON body: malformed → 400, wrong shape or value → 422, no JSON content type → 415,
/// too large → 413.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::new(
                400,
                "malformed_json",
                format!("The body is not valid JSON: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::new(
                422,
                "invalid",
                format!(
                    "The body does not have the expected shape: {}",
                    e.body_text()
                ),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::new(
                415,
                "unsupported_media_type",
                "Send the body as JSON (Content-Type: application/json).",
            )),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::new(413, "too_large", "The body is too large."))
            }
            Err(e) => Err(AppError::bad_request(e.body_text())),
        }
    }
}

/// The signed-in caller, or 401.
pub struct Caller(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .map(Caller)
            .ok_or_else(AppError::unauthorized)
    }
}
