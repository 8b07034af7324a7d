//! The one-time email links' pages, `/mail/{token}` (the rules are usecases/mail_links.rs).
//! Opening a link shows a confirmation page (a GET never acts: mail scanners follow links);
//! posting it decides. Also the small card page outside the app that these and the password
//! set-up pages show.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

use crate::jobs::mail::escape;
use crate::usecases::mail_links::{self, Actor, Link, Refusal, LINK_TTL_MINUTES};
use crate::AppState;

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    card_page(status, title, body, "mail-link")
}

/// A small page outside the app (no WASM): a card with a title and `body` (HTML, escaped by the
/// caller), as the one-time links show. Also the password set-up page's (welcome.rs) and a
/// refused single sign-on's (sso.rs). Its policy lets it load only the site's stylesheet and
/// post its own forms: no script runs.
pub(crate) fn card_page(status: StatusCode, title: &str, body: &str, testid: &str) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        )],
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · Tollgate</title><link rel=\"stylesheet\" href=\"/pkg/tollgate.css\"></head><body><div class=\"auth-page\"><div class=\"auth-card\" data-testid=\"{testid}\"><h1>{t}</h1>{body}</div></div></body></html>",
            t = escape(title)
        )),
    )
        .into_response()
}

/// Why a link cannot act, as a page; `None` when it may.
fn refusal(l: &Link) -> Option<Response> {
    Some(match mail_links::refusal(l)? {
        Refusal::Used => page(StatusCode::GONE, "Link already used", "<p>Each email link works once. Open the ticket in Tollgate to see where it stands.</p>"),
        Refusal::Expired => page(StatusCode::GONE, "Link expired", &format!("<p>Email links are valid for {LINK_TTL_MINUTES} minutes. Decide in Tollgate instead.</p>")),
        Refusal::MovedOn => page(
            StatusCode::CONFLICT,
            "This decision is no longer yours to make",
            &format!(
                "<p>{} has moved on since this email was sent (decided, withdrawn, expired or at another level).</p><p><a class=\"btn\" href=\"/tickets/{}\">Open the ticket</a></p>",
                escape(&l.serial),
                l.ticket_id
            ),
        ),
    })
}

/// Who acts: the link's approver, signed in unless direct approval is on; else the page or
/// the redirect to sign-in to answer with.
async fn actor(
    s: &AppState,
    l: &Link,
    signed_in: Option<&Viewer>,
    token: &str,
) -> Result<Result<Viewer, Response>, AppError> {
    Ok(match mail_links::actor(&s.pool, l, signed_in).await? {
        Actor::Approver(v) => Ok(v),
        Actor::SomeoneElse => Err(page(
            StatusCode::FORBIDDEN,
            "This link is for someone else",
            "<p>Sign out and sign in as the approver the email was sent to.</p>",
        )),
        Actor::SignInFirst => {
            let next = format!("/mail/{token}");
            Err(Redirect::to(&format!(
                "/login?next={}",
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
            ))
            .into_response())
        }
        Actor::Inactive => Err(page(
            StatusCode::FORBIDDEN,
            "Account inactive",
            "<p>The approver's account is not active.</p>",
        )),
    })
}

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown link",
        "<p>This link is not valid. Copy it whole from the email, or decide in Tollgate.</p>",
    )
}

/// What the approver of a step-up link can give: codes (an app or recovery codes), passkeys,
/// and the window in minutes within which a factor given in Tollgate stands in for a code.
struct Factors {
    codes: bool,
    passkeys: bool,
    minutes: u32,
}

async fn factors(s: &AppState, l: &Link, v: &Viewer) -> Result<Option<Factors>, AppError> {
    if !l.step_up {
        return Ok(None);
    }
    let (codes, passkeys) = crate::identity::second_factor::kinds(&s.pool, v.id).await?;
    let minutes = crate::identity::step_up::minutes(&s.pool).await?;
    Ok(Some(Factors {
        codes,
        passkeys,
        minutes,
    }))
}

/// The page that confirms what a link does: a button, and when the level asks for a fresh
/// second factor, a code field and the way to use a passkey (this page runs no script, so a
/// passkey is used in the app) (`error` says why the factor was not accepted).
fn confirm_page(
    l: &Link,
    factors: Option<&Factors>,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let (verb, class) = if l.action == "approve" {
        ("Approve", "btn btn-ok")
    } else {
        ("Reject", "btn btn-danger")
    };
    let code = match factors {
        None => String::new(),
        Some(f) => {
            let field = if f.codes || !f.passkeys {
                "<div class=\"field\"><label for=\"code\">Code from your authenticator app</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" autofocus></div>"
            } else {
                ""
            };
            let passkey = if f.passkeys {
                format!(
                    "<p class=\"small\" data-testid=\"use-passkey-in-app\">With a passkey: <a href=\"/tickets/{}\">open the ticket</a> and decide there with “Use a passkey”. A passkey (or code) given in Tollgate in the last {} minutes counts here too.</p>",
                    l.ticket_id, f.minutes
                )
            } else {
                String::new()
            };
            format!(
                "<div data-testid=\"step-up\">{field}<p class=\"muted small\">This level asks for a fresh second factor: a code, a recovery code or a passkey.</p>{passkey}</div>{}",
                error
                    .map(|e| format!("<div class=\"form-error\" role=\"alert\">{}</div>", escape(e)))
                    .unwrap_or_default()
            )
        }
    };
    let reason = if l.action == "reject" {
        let min = l.reject_reason_min.max(0);
        let (label, attrs) = if min > 0 {
            (
                format!("Reason (at least {min} characters)"),
                format!(" required minlength=\"{min}\""),
            )
        } else {
            ("Reason (optional)".to_string(), String::new())
        };
        format!(
            "<div class=\"field\"><label for=\"reason\">{label}</label><textarea id=\"reason\" name=\"reason\" maxlength=\"2000\"{attrs}></textarea></div>{}",
            match (error, factors) {
                (Some(e), None) => format!("<div class=\"form-error\" role=\"alert\">{}</div>", escape(e)),
                _ => String::new(),
            }
        )
    } else {
        String::new()
    };
    page(
        status,
        &format!("{verb} {}?", l.serial),
        &format!(
            "<p><strong>{}</strong>, level {}.</p><form method=\"post\">{reason}{code}<button type=\"submit\" class=\"{class} btn-block\">{verb}</button></form><p class=\"muted small\" style=\"margin-top:1rem\"><a href=\"/tickets/{}\">Open the ticket first</a></p>",
            escape(&l.title),
            l.level,
            l.ticket_id
        ),
    )
}

/// The field `name` of a posted link form, if given.
fn posted(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty())
}

/// `GET /mail/{token}`: what the link would do, with a button to do it.
pub async fn show(
    State(s): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(l) = mail_links::find(&s.pool, &token).await? else {
        return Ok(unknown());
    };
    if let Some(r) = refusal(&l) {
        return Ok(r);
    }
    let v = match actor(&s, &l, viewer.as_ref().map(|v| &v.0), &token).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let f = factors(&s, &l, &v).await?;
    Ok(confirm_page(&l, f.as_ref(), StatusCode::OK, None))
}

/// `POST /mail/{token}`: spends the link (and its sibling) and decides. At a level that asks
/// for a fresh second factor, a right code must come with it (the link is not spent before).
pub async fn act(
    State(s): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    Path(token): Path<String>,
    client: Option<Extension<tollgate_app::backend::ClientInfo>>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let Some(l) = mail_links::find(&s.pool, &token).await? else {
        return Ok(unknown());
    };
    if let Some(r) = refusal(&l) {
        return Ok(r);
    }
    let v = match actor(&s, &l, viewer.as_ref().map(|v| &v.0), &token).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let f = factors(&s, &l, &v).await?;
    let reason = posted(&body, "reason");
    if let Err(e) = mail_links::check_reason(&l, reason.as_deref()) {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(confirm_page(&l, f.as_ref(), status, Some(&e.message)));
    }
    let given = if let Some(f) = f {
        let code = posted(&body, "code");
        let mut v = v.clone();
        // Guesses at a code are limited per address too.
        if v.presence.ip.is_none() {
            v.presence.ip = client.and_then(|c| c.0.ip);
        }
        let asked_again =
            |status: StatusCode, why: &str| Ok(confirm_page(&l, Some(&f), status, Some(why)));
        match crate::identity::step_up::code(&s.pool, &s.config, &v, code.as_deref()).await {
            Ok(Some(how)) => Some(how),
            // No code: a factor given in Tollgate within the window stands in for it.
            Ok(None) => match crate::identity::step_up::standing(
                &mut *s.pool.acquire().await?,
                &v,
                chrono::Utc::now(),
            )
            .await?
            {
                Some(how) => Some(how),
                None if f.codes => {
                    return asked_again(
                        StatusCode::FORBIDDEN,
                        "Enter a code from your authenticator app.",
                    )
                }
                None => {
                    return asked_again(
                        StatusCode::FORBIDDEN,
                        "Use your passkey in Tollgate first: open the ticket.",
                    )
                }
            },
            Err(e) if e.status < 500 => {
                return asked_again(
                    StatusCode::from_u16(e.status).unwrap_or(StatusCode::FORBIDDEN),
                    &e.message,
                )
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    // Spend it: only one request wins, and the other link of the same mail goes with it.
    if !mail_links::spend(&s.pool, &l, &token).await? {
        return Ok(page(
            StatusCode::GONE,
            "Link already used",
            "<p>Each email link works once.</p>",
        ));
    }
    match mail_links::decide(&s.pool, &v, &l, given, reason.as_deref()).await {
        Ok(t) => {
            s.metrics.changed(&t);
            Ok(page(
            StatusCode::OK,
            if l.action == "approve" { "Approved" } else { "Rejected" },
            &format!(
                "<p data-state=\"{}\">{} · {} is now <strong>{}</strong>.</p><p><a class=\"btn\" href=\"/tickets/{}\">Open the ticket</a></p>",
                t.state.as_str(),
                escape(&t.serial),
                escape(&t.title),
                t.state.as_str(),
                t.id
            ),
            ))
        }
        Err(e) => Ok(page(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::CONFLICT),
            "Not done",
            &format!("<p>{}</p>", escape(&e.message)),
        )),
    }
}
