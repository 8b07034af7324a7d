//! Protections every response gets: state-changing requests from a foreign origin are
//! refused (cross-site request forgery), and security headers are set. The page's Content
//! Security Policy carries a fresh nonce per page and is set where the page is rendered
//! (`tollgate_app::shell`), since only that code knows the nonce.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tollgate_app::AppError;

/// True when the request says it comes from another site than the one it is sent to.
fn foreign(req: &Request) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Scripts and gateways send no Origin; browsers always do on these methods.
        return false;
    };
    if origin == "null" {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin)
        .trim_end_matches('/');
    !origin_host.eq_ignore_ascii_case(host)
}

pub async fn protect(req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && foreign(&req) {
        return AppError::forbidden("Cross-origin requests that change something are refused.")
            .into_response();
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // JSON, files and anything else that is not a page: nothing may run from it.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(origin: Option<&str>, host: &str) -> Request {
        let mut b = axum::http::Request::builder()
            .method("POST")
            .uri("/x")
            .header("host", host);
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn same_origin_and_no_origin_pass_foreign_fails() {
        assert!(!foreign(&req(None, "127.0.0.1:3000")));
        assert!(!foreign(&req(
            Some("http://127.0.0.1:3000"),
            "127.0.0.1:3000"
        )));
        assert!(foreign(&req(
            Some("https://evil.example"),
            "127.0.0.1:3000"
        )));
        assert!(foreign(&req(
            Some("http://127.0.0.1:3001"),
            "127.0.0.1:3000"
        )));
        assert!(foreign(&req(Some("null"), "127.0.0.1:3000")));
    }
}
