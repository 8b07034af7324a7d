//! What every request goes through: who is calling (bearer token or session cookie), from
//! where, and the sign-in gate for pages.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tollgate_app::backend::{ClientInfo, SessionToken};
use tollgate_app::model::{safe_next, Presence};
use tollgate_app::AppError;

use crate::{identity::service_tokens, identity::session, identity::tokens, AppState};

/// The client's address: the connection's peer, or — only when the peer is a trusted proxy —
/// the right-most address of `X-Forwarded-For` that is not itself a trusted proxy (addresses
/// further left were written by the client and prove nothing). An unreadable entry stops the
/// walk at the last address known good.
pub fn client_ip<'a>(
    peer: Option<std::net::IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: Option<&tollgate_core::IpList>,
) -> Option<std::net::IpAddr> {
    let (Some(peer), Some(trusted)) = (peer, trusted) else {
        return peer;
    };
    if !trusted.matches(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.matches(ip) {
            break;
        }
    }
    Some(client)
}

/// Paths anyone may load without signing in.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/login/wait"
        || path == "/login/code"
        || path == "/login/set-up"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/favicon")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/sfn/")
        // One-time email links decide themselves whether to ask for sign-in.
        || path.starts_with("/mail/")
        // A person's one-time link to choose their password (welcome.rs).
        || path.starts_with("/welcome/")
        // Single sign-on: to the provider and back (http/sso.rs).
        || path.starts_with("/auth/oidc/")
}

pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(
        peer,
        req.headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        state.config.trusted_proxies.as_ref(),
    );
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    req.extensions_mut().insert(ClientInfo { ip, user_agent });

    // A bearer token decides alone: a bad one is refused (401) rather than falling back to a
    // cookie, so a script never silently acts as whoever is signed in in a browser.
    let bearer = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Err(_)) => return invalid_token(),
        // Another scheme (Basic, …) is not ours: the cookie decides.
        Some(Ok(v)) => tokens::bearer(v).map(str::to_string),
    };
    if let Some(token) = bearer
        .as_deref()
        .filter(|t| t.starts_with(service_tokens::PREFIX))
    {
        // A gateway's service token: a principal of its own, never a user.
        return match service_tokens::gateway(&state.pool, token).await {
            Ok(Some(gateway)) => {
                req.extensions_mut().insert(gateway);
                next.run(req).await
            }
            Ok(None) => invalid_token(),
            Err(e) => e.into_response(),
        };
    }
    if let Some(token) = bearer {
        return match tokens::viewer(&state.pool, &token).await {
            Ok(Some((token_id, mut viewer))) => {
                viewer.presence = Presence {
                    session: None,
                    token: Some(token_id),
                    ip,
                };
                // Login rules hold for tokens too, on every request.
                if let Err(e) = crate::usecases::acls::check_request(
                    &state.pool,
                    state.live.acls(),
                    &viewer,
                    ip,
                )
                .await
                {
                    return e.into_response();
                }
                req.extensions_mut().insert(viewer);
                req.extensions_mut().insert(tokens::BearerAuth(token_id));
                next.run(req).await
            }
            Ok(None) => invalid_token(),
            Err(e) => e.into_response(),
        };
    }

    let token = tollgate_app::backend::cookie(req.headers(), session::COOKIE);
    let mut signed_in = false;
    if let Some(token) = token {
        match session::viewer(&state.pool, &token).await {
            Ok(Some(mut viewer)) => {
                viewer.presence = Presence {
                    session: Some(session::digest(&token)),
                    token: None,
                    ip,
                };
                // A login rule that refuses this person from here, now, ends the use of a
                // session opened before it: calls are refused, pages go to the sign-in form.
                match crate::usecases::acls::check_request(
                    &state.pool,
                    state.live.acls(),
                    &viewer,
                    ip,
                )
                .await
                {
                    Ok(()) => {
                        signed_in = true;
                        req.extensions_mut().insert(viewer);
                    }
                    Err(e) if !wants_page(&req) => return e.into_response(),
                    Err(_) => {}
                }
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
        req.extensions_mut().insert(SessionToken(token));
    }

    let path = req.uri().path().to_string();
    if req.method() == Method::GET {
        if path == "/login" && signed_in {
            let next = query_param(req.uri().query(), "next").unwrap_or_else(|| "/".into());
            return Redirect::to(&safe_next(&next)).into_response();
        }
        if !signed_in && !is_public(&path) {
            let here = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            let target = format!("/login?next={}", urlencode(&here));
            return (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
        }
    }
    next.run(req).await
}

/// A page load (GET of anything but the API and server functions).
fn wants_page(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET && !path.starts_with("/api/") && !path.starts_with("/sfn/")
}

/// Most bytes a server-function call may send: their arguments are small.
pub const SFN_BODY_LIMIT: usize = 1 << 20;

/// Server functions (`/sfn/…`) answer like the REST API: a body over [`SFN_BODY_LIMIT`] is a
/// 413 before anything runs; and a call refused before its body ran (arguments that do not
/// parse) keeps the 4xx its error names instead of server functions' default 500. Errors are
/// [`AppError`] JSON as server functions send them, so the pages can read them.
pub async fn sfn_status(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/sfn/") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(body, SFN_BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => return sfn_error(e),
    };
    let res = next
        .run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Our own error answer: small. Anything else that large is left a 500.
    let Ok(bytes) = axum::body::to_bytes(body, SFN_BODY_LIMIT).await else {
        return sfn_error(AppError::internal());
    };
    if let Some(status) = serde_json::from_slice::<AppError>(&bytes)
        .ok()
        .filter(|e| (400..500).contains(&e.status))
        .and_then(|e| StatusCode::from_u16(e.status).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// An error as server functions send it (the [`AppError`] itself, with its status).
fn sfn_error(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(e)).into_response()
}

/// The whole body, refused with a 413 past `limit` bytes: at once when its declared length is
/// over, else as soon as what arrived is (never more than `limit` is held).
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, AppError> {
    use axum::body::HttpBody;
    use futures::StreamExt;
    let too_large = || {
        AppError::new(
            413,
            "too_large",
            format!("The body is too large (at most {limit} bytes)."),
        )
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| AppError::bad_request("The body could not be read."))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.into())
}

/// 401 for a bearer token that is unknown, revoked, or whose user is deactivated.
fn invalid_token() -> Response {
    let mut res = AppError::new(
        401,
        "invalid_token",
        "The bearer token is not valid: it is unknown or revoked, or its user is deactivated.",
    )
    .into_response();
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    res
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| urldecode(v))
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn urldecode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_round_trips() {
        let here = "/tickets/1?tab=a&b=c d";
        assert_eq!(urldecode(&urlencode(here)), here);
        assert_eq!(
            query_param(Some("x=1&next=%2Fa%3Fb%3D1"), "next").as_deref(),
            Some("/a?b=1")
        );
        assert_eq!(urldecode("%zz"), "%zz");
        assert_eq!(urldecode("%4"), "%4");
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::client_ip;
    use std::net::IpAddr;
    use tollgate_core::IpList;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted = IpList::parse_text("127.0.0.1, 10.0.0.0/8").unwrap();
        // No proxies configured: the header is ignored.
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), ["203.0.113.9"].into_iter(), None),
            Some(ip("127.0.0.1"))
        );
        // An untrusted peer cannot claim another address.
        assert_eq!(
            client_ip(
                Some(ip("198.51.100.7")),
                ["203.0.113.9"].into_iter(),
                Some(&trusted)
            ),
            Some(ip("198.51.100.7"))
        );
        // Behind a trusted proxy: the right-most untrusted hop; a forged left part is ignored.
        assert_eq!(
            client_ip(
                Some(ip("127.0.0.1")),
                ["1.2.3.4, 203.0.113.9", "10.1.1.1"].into_iter(),
                Some(&trusted)
            ),
            Some(ip("203.0.113.9"))
        );
        // Garbage stops the walk at the last good address.
        assert_eq!(
            client_ip(
                Some(ip("127.0.0.1")),
                ["nonsense, 10.2.2.2"].into_iter(),
                Some(&trusted)
            ),
            Some(ip("10.2.2.2"))
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), std::iter::empty(), Some(&trusted)),
            Some(ip("127.0.0.1"))
        );
    }
}
