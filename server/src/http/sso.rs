//! `/auth/oidc/start` and `/auth/oidc/callback`: the browser's way through the OpenID
//! provider (identity/oidc.rs). A refused callback answers a page that says why and signs
//! nobody in; an accepted one ends like a password sign-in (login rules, held or signed in).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use tollgate_app::backend::{ClientInfo, SignInOutcome};
use tollgate_app::model::safe_next;
use tollgate_app::AppError;

use crate::identity::oidc;
use crate::jobs::mail::escape;
use crate::AppState;

/// Where the provider sends the browser back to.
pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}/auth/oidc/callback",
        state.config.public_url().trim_end_matches('/')
    )
}

/// The card page of a sign-in that did not work, kept out of caches.
fn refused(e: &AppError, secure: bool) -> Response {
    let title = match e.status {
        503 => "The identity provider cannot be reached",
        403 => "You cannot sign in",
        _ => "Sign-in refused",
    };
    let body = format!(
        "<p data-testid=\"sso-error\" data-code=\"{}\">{}</p><p><a class=\"btn\" href=\"/login\">Back to sign-in</a></p>",
        escape(&e.code),
        escape(&e.message)
    );
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = crate::http::mail_links::card_page(status, title, &body, "sso-refused");
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&oidc::clear_state_cookie(secure)) {
        h.append(header::SET_COOKIE, v);
    }
    res
}

fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Sends the browser to the provider, remembering where it was going.
pub async fn start(State(s): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let secure = s.config.secure_cookies();
    let settings = match crate::usecases::sso::settings(&s.pool).await {
        Ok(x) => x.oidc,
        Err(e) => return refused(&e, secure),
    };
    if !settings.enabled {
        return refused(
            &AppError::new(404, "sso_off", "Single sign-on is not turned on here."),
            secure,
        );
    }
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    match s
        .services
        .oidc
        .start(&s.pool, &settings, &redirect_uri(&s), &next)
        .await
    {
        Ok((url, state)) => see_other(&url, &[oidc::state_cookie(&state, secure)]),
        Err(e) => refused(&e, secure),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider's answer: checked, then the person is found (or created) and signed in.
pub async fn callback(
    State(s): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let secure = s.config.secure_cookies();
    match finish(&s, client, &headers, q).await {
        Ok(r) => r,
        Err(e) => {
            if e.status != 503 {
                s.metrics.sign_in_failures.inc();
            }
            tracing::info!(code = %e.code, "a single sign-on callback was refused");
            refused(&e, secure)
        }
    }
}

async fn finish(
    s: &AppState,
    client: ClientInfo,
    headers: &HeaderMap,
    q: CallbackQuery,
) -> Result<Response, AppError> {
    let secure = s.config.secure_cookies();
    if let Some(error) = q.error {
        let said: String = q
            .error_description
            .unwrap_or(error)
            .chars()
            .take(300)
            .collect();
        return Err(AppError::new(
            400,
            "sso_provider_error",
            format!("The identity provider did not sign you in: {said}"),
        ));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(AppError::new(
            400,
            "sso_state_unknown",
            "This address needs the identity provider's code and state. Start again from the \
             sign-in page.",
        ));
    };
    let settings = crate::usecases::sso::settings(&s.pool).await?.oidc;
    if !settings.enabled {
        return Err(AppError::new(
            404,
            "sso_off",
            "Single sign-on is not turned on here.",
        ));
    }
    let browser_state = tollgate_app::backend::cookie(headers, oidc::STATE_COOKIE);
    let (claims, next) = s
        .services
        .oidc
        .finish(
            &s.pool,
            &settings,
            &redirect_uri(s),
            &state,
            browser_state.as_deref(),
            &code,
        )
        .await?;
    let (user_id, username) = crate::usecases::sso::person(
        &s.pool,
        &crate::usecases::sso::Identity {
            provider: "oidc",
            issuer: &claims.issuer,
            subject: &claims.subject,
            username: claims.preferred_username.as_deref(),
            name: claims.name.as_deref(),
            email: claims.email.as_deref(),
            groups: &claims.groups,
            login: claims.preferred_username.as_deref().unwrap_or(""),
            create_users: settings.create_users,
        },
    )
    .await?;
    let outcome = crate::identity::sign_in::open(
        &s.services,
        crate::identity::sign_in::Proven {
            user_id,
            username: &username,
            method: "oidc",
            provider_second_factor: settings.trust_amr
                && tollgate_core::sso::amr_gives_second_factor(&claims.amr),
        },
        client,
    )
    .await?;
    let clear = oidc::clear_state_cookie(secure);
    Ok(match outcome {
        SignInOutcome::SignedIn(signed) => see_other(&next, &[signed.set_cookie, clear]),
        SignInOutcome::Held(held) => see_other(
            &format!("/login/wait?next={}", urlencoding(&next)),
            &[held.set_cookie, clear],
        ),
        SignInOutcome::SecondFactor(cookie) => see_other(
            &format!("/login/code?next={}", urlencoding(&next)),
            &[cookie, clear],
        ),
        SignInOutcome::SetUpSecondFactor(cookie) => see_other(
            &format!("/login/set-up?next={}", urlencoding(&next)),
            &[cookie, clear],
        ),
    })
}

fn urlencoding(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
