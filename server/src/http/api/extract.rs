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
        let headers = req.headers().clone();
        let bytes = body_bytes(req, state).await?;
        if has_json_nul(&bytes) {
            return Err(nul_refused());
        }
        // Every body of this API is an object; serde would also fill a struct from an array
        // (`[null, null]` read as a settings patch that changes nothing, and answered 200).
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') && is_json(&bytes) {
            return Err(AppError::new(
                422,
                "invalid",
                "The body must be a JSON object.",
            ));
        }
        let body = bytes.clone();
        let mut req = Request::new(axum::body::Body::from(bytes));
        *req.headers_mut() = headers;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            // serde calls some shape errors syntax errors (`{}` where an enum is expected).
            Err(JsonRejection::JsonSyntaxError(e)) if !is_json(&body) => Err(AppError::new(
                400,
                "malformed_json",
                format!("The body is not valid JSON: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::new(
                422,
                "invalid",
                format!(
                    "The body does not have the expected shape: {}",
                    e.body_text()
                ),
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

/// Query string: anything that does not parse → 400 with the reason.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // `%00` is the only way to put a NUL in a query string; Postgres stores no NUL.
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(AppError::new(
                400,
                "bad_query",
                "The query must not contain NUL characters (%00).",
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| AppError::new(400, "bad_query", e.body_text()))
    }
}

/// A path id: not a UUID → 400.
pub struct Id(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<uuid::Uuid>::from_request_parts(parts, state)
            .await
            .map(|p| Id(p.0))
            .map_err(|_| AppError::new(400, "bad_id", "The id in the path is not a valid UUID."))
    }
}

/// Two path ids (`/{id}/…/{other}`): either not a UUID → 400.
pub struct Ids(pub uuid::Uuid, pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<(uuid::Uuid, uuid::Uuid)>::from_request_parts(parts, state)
            .await
            .map(|p| Ids(p.0 .0, p.0 .1))
            .map_err(|_| AppError::new(400, "bad_id", "An id in the path is not a valid UUID."))
    }
}

/// A JSON body that may be left out (then the type's default): approve, reject and close
/// need no body. A body that is there must be valid JSON of the right shape.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if has_json_nul(&bytes) {
            return Err(nul_refused());
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match from_whole_slice(&mut de) {
            Ok(v) => Ok(OptionalJson(v)),
            Err(e) if (e.is_syntax() || e.is_eof()) && !is_json(&bytes) => Err(AppError::new(
                400,
                "malformed_json",
                format!("The body is not valid JSON: {e}"),
            )),
            Err(e) => Err(AppError::new(
                422,
                "invalid",
                format!("The body does not have the expected shape: {e}"),
            )),
        }
    }
}

/// Whether `bytes` are one well-formed JSON value (whatever its shape).
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

fn from_whole_slice<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, serde_json::Error> {
    let v = T::deserialize(&mut *de)?;
    de.end()?;
    Ok(v)
}

/// The whole body: too large → 413.
async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(413, "too_large", "The body is too large.")
            } else {
                AppError::bad_request(e.body_text())
            }
        })
}

/// True when a JSON text holds a NUL character: JSON can only write it as the escape
/// `\u0000` (a `\` that is not itself escaped, followed by `u0000`).
fn has_json_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// Postgres stores no NUL in text or JSON: refused here rather than failing there (a 500).
fn nul_refused() -> AppError {
    AppError::new(
        422,
        "invalid",
        "Text must not contain NUL characters (\\u0000).",
    )
}

#[cfg(test)]
mod tests {
    use super::has_json_nul;

    #[test]
    fn finds_escaped_nul_but_not_an_escaped_backslash() {
        assert!(has_json_nul(br#"{"a": "x\u0000"}"#));
        assert!(has_json_nul(br#"{"a": "\\\u0000"}"#));
        assert!(!has_json_nul(br#"{"a": "\\u0000"}"#));
        assert!(!has_json_nul(br#"{"a": "u0000 \u0001"}"#));
    }
}
