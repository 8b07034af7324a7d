//! Email (SPEC §7): each in-app notification of a person with an email address is also mailed
//! when SMTP is configured, by a worker on any instance (claimed with `FOR UPDATE SKIP LOCKED`
//! and a lease, like the outbox). The notification's id is the mail's `Message-ID`, so a mail
//! sent again after an instance died mid-way is recognisable as the same message (at least once).
//!
//! Mail to an assignee whose decision is asked carries one-time approve and reject links, bound
//! to the ticket, the level and the approver, valid one hour, single use (using one spends both),
//! refused once the level has moved on. Opening a link shows a confirmation page (a GET never
//! acts: mail scanners follow links); it asks for sign-in as that approver unless the setting
//! `direct_email_approval` is on.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tollgate_app::dto::{ApproveBody, CommentOnly};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::usecases::outbox::WorkerConfig;
use crate::AppState;

/// How long a one-time link lives.
pub const LINK_TTL_MINUTES: i64 = 60;

/// Mail older than this is not sent any more (e.g. when SMTP is configured later).
const STALE_HOURS: i64 = 24;

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `smtp://host:port` → (host, port).
pub fn parse_smtp_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| format!("{url:?}: only smtp://host:port is supported"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>().map_err(|_| format!("{url:?}: bad port"))?,
        ),
        None => (rest.to_string(), 25),
    };
    if host.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    Ok((host, port))
}

use crate::store::mail_queue::MailDue as Due;

/// Sends the mail of notifications.
#[derive(Clone)]
pub struct Mailer {
    pool: PgPool,
    cfg: WorkerConfig,
    from: Mailbox,
    public_url: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    pub fn new(
        pool: PgPool,
        cfg: WorkerConfig,
        smtp_url: &str,
        from: &str,
        public_url: &str,
    ) -> Result<Mailer, String> {
        let (host, port) = parse_smtp_url(smtp_url)?;
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("TOLLGATE_MAIL_FROM {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(cfg.timeout))
            .build();
        Ok(Mailer {
            pool,
            cfg,
            from,
            public_url: public_url.trim_end_matches('/').to_string(),
            transport,
        })
    }

    async fn claim(&self) -> Result<Vec<Due>, AppError> {
        crate::store::mail_queue::claim(
            &self.pool,
            self.cfg.batch,
            self.cfg.lease.as_secs_f64(),
            STALE_HOURS as i32,
        )
        .await
    }

    /// Makes a one-time link for `action`.
    async fn link(
        &self,
        d: &Due,
        ticket: Uuid,
        level: i16,
        action: &str,
    ) -> Result<String, AppError> {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let token: String = b.iter().map(|x| format!("{x:02x}")).collect();
        crate::store::mail_links::insert(
            &self.pool,
            &digest(&token),
            ticket,
            level,
            d.user_id,
            action,
            LINK_TTL_MINUTES as i32,
        )
        .await?;
        Ok(format!("{}/mail/{token}", self.public_url))
    }

    async fn compose(&self, d: &Due) -> Result<Message, String> {
        let url = format!("{}{}", self.public_url, d.link);
        let mut links = None;
        if let (Some(t), Some(l), "awaiting") = (d.ticket_id, d.level, d.kind.as_str()) {
            let approve = self.link(d, t, l, "approve").await.map_err(|e| e.message)?;
            let reject = self.link(d, t, l, "reject").await.map_err(|e| e.message)?;
            links = Some((approve, reject));
        }
        let mut text = format!("{}\n\n{}\n\nOpen it: {url}\n", d.title, d.body);
        let mut html = format!(
            "<p><strong>{}</strong></p><p>{}</p><p><a href=\"{}\">Open it in Tollgate</a></p>",
            escape(&d.title),
            escape(&d.body),
            escape(&url)
        );
        if let Some((approve, reject)) = &links {
            text.push_str(&format!(
                "\nApprove: {approve}\nReject: {reject}\n(one-time links for you, valid {LINK_TTL_MINUTES} minutes)\n"
            ));
            html.push_str(&format!(
                "<p><a href=\"{}\">Approve</a> · <a href=\"{}\">Reject</a></p><p style=\"color:#666\">One-time links for you, valid {LINK_TTL_MINUTES} minutes.</p>",
                escape(approve),
                escape(reject)
            ));
        }
        let to: Mailbox = d
            .mail_to
            .parse()
            .map_err(|e| format!("bad address {:?}: {e}", d.mail_to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(d.title.clone())
            .message_id(Some(format!("<{}@tollgate>", d.id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(html),
                    ),
            )
            .map_err(|e| e.to_string())
    }

    async fn send(&self, d: &Due) -> Result<(), String> {
        let m = self.compose(d).await?;
        self.transport
            .send(m)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }

    /// Claims one batch and mails it. Returns how many were sent.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let rows = self.claim().await?;
        let mut sent = 0;
        for d in &rows {
            match self.send(d).await {
                Ok(()) => {
                    crate::store::mail_queue::sent(&self.pool, d.id).await?;
                    sent += 1;
                }
                Err(e) => {
                    let give_up = d.mail_attempts >= self.cfg.max_attempts;
                    let delay = self
                        .cfg
                        .backoff
                        .saturating_mul(1u32 << (d.mail_attempts - 1).clamp(0, 20) as u32)
                        .min(Duration::from_secs(3600));
                    tracing::info!(id = %d.id, attempt = d.mail_attempts, error = %e, "mail failed; will retry");
                    crate::store::mail_queue::failed(
                        &self.pool,
                        d.id,
                        &e.chars().take(500).collect::<String>(),
                        delay.as_secs_f64(),
                        give_up,
                    )
                    .await?;
                }
            }
        }
        Ok(sent)
    }

    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.message, "mail worker"),
                }
                tokio::time::sleep(self.cfg.poll).await;
            }
        })
    }
}

/// Whether email links act without sign-in (settings key `direct_email_approval`).
pub async fn direct_approval(pool: &PgPool) -> Result<bool, AppError> {
    let v = crate::store::mail_links::direct_approval_setting(pool).await?;
    Ok(v.and_then(|v| v.as_bool()).unwrap_or(false))
}

use crate::store::mail_links::LinkRow;

async fn find(pool: &PgPool, token: &str) -> Result<Option<LinkRow>, AppError> {
    crate::store::mail_links::find(pool, &digest(token)).await
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    card_page(status, title, body, "mail-link")
}

/// A small page outside the app (no WASM): a card with a title and `body` (HTML, escaped by the
/// caller), as the one-time links show. Also the password set-up page's (welcome.rs).
pub(crate) fn card_page(status: StatusCode, title: &str, body: &str, testid: &str) -> Response {
    (
        status,
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · Tollgate</title><link rel=\"stylesheet\" href=\"/pkg/tollgate.css\"></head><body><div class=\"auth-page\"><div class=\"auth-card\" data-testid=\"{testid}\"><h1>{t}</h1>{body}</div></div></body></html>",
            t = escape(title)
        )),
    )
        .into_response()
}

/// Why a link cannot act, as a page; `None` when it may.
fn refusal(l: &LinkRow) -> Option<Response> {
    if l.used {
        return Some(page(StatusCode::GONE, "Link already used", "<p>Each email link works once. Open the ticket in Tollgate to see where it stands.</p>"));
    }
    if l.expired {
        return Some(page(StatusCode::GONE, "Link expired", &format!("<p>Email links are valid for {LINK_TTL_MINUTES} minutes. Decide in Tollgate instead.</p>")));
    }
    if !l.awaiting {
        return Some(page(
            StatusCode::CONFLICT,
            "This decision is no longer yours to make",
            &format!(
                "<p>{} has moved on since this email was sent (decided, withdrawn, expired or at another level).</p><p><a class=\"btn\" href=\"/tickets/{}\">Open the ticket</a></p>",
                escape(&l.serial),
                l.ticket_id
            ),
        ));
    }
    None
}

/// Who acts: the link's approver, signed in unless direct approval is on.
async fn actor(
    s: &AppState,
    l: &LinkRow,
    signed_in: Option<&Viewer>,
    token: &str,
) -> Result<Result<Viewer, Response>, AppError> {
    match signed_in {
        Some(v) if v.id == l.user_id => return Ok(Ok(v.clone())),
        Some(_) => {
            return Ok(Err(page(
                StatusCode::FORBIDDEN,
                "This link is for someone else",
                "<p>Sign out and sign in as the approver the email was sent to.</p>",
            )))
        }
        None => {}
    }
    if !direct_approval(&s.pool).await? {
        let next = format!("/mail/{token}");
        return Ok(Err(Redirect::to(&format!(
            "/login?next={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        ))
        .into_response()));
    }
    match crate::store::users::viewer(&s.pool, l.user_id).await? {
        Some(v) => Ok(Ok(v)),
        None => Ok(Err(page(
            StatusCode::FORBIDDEN,
            "Account inactive",
            "<p>The approver's account is not active.</p>",
        ))),
    }
}

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown link",
        "<p>This link is not valid. Copy it whole from the email, or decide in Tollgate.</p>",
    )
}

/// `GET /mail/{token}`: what the link would do, with a button to do it.
pub async fn show(
    State(s): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(l) = find(&s.pool, &token).await? else {
        return Ok(unknown());
    };
    if let Some(r) = refusal(&l) {
        return Ok(r);
    }
    if let Err(r) = actor(&s, &l, viewer.as_ref().map(|v| &v.0), &token).await? {
        return Ok(r);
    }
    let (verb, class) = if l.action == "approve" {
        ("Approve", "btn btn-ok")
    } else {
        ("Reject", "btn btn-danger")
    };
    Ok(page(
        StatusCode::OK,
        &format!("{verb} {}?", l.serial),
        &format!(
            "<p><strong>{}</strong>, level {}.</p><form method=\"post\"><button type=\"submit\" class=\"{class} btn-block\">{verb}</button></form><p class=\"muted small\" style=\"margin-top:1rem\"><a href=\"/tickets/{}\">Open the ticket first</a></p>",
            escape(&l.title),
            l.level,
            l.ticket_id
        ),
    ))
}

/// `POST /mail/{token}`: spends the link (and its sibling) and decides.
pub async fn act(
    State(s): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(l) = find(&s.pool, &token).await? else {
        return Ok(unknown());
    };
    if let Some(r) = refusal(&l) {
        return Ok(r);
    }
    let v = match actor(&s, &l, viewer.as_ref().map(|v| &v.0), &token).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    // Spend it: only one request wins, and the other link of the same mail goes with it.
    let spent =
        crate::store::mail_links::spend(&s.pool, l.ticket_id, l.level, l.user_id, &digest(&token))
            .await?;
    if !spent {
        return Ok(page(
            StatusCode::GONE,
            "Link already used",
            "<p>Each email link works once.</p>",
        ));
    }
    let comment = Some("(from the email link)".to_string());
    let done = if l.action == "approve" {
        crate::usecases::tickets::approve(
            &s.pool,
            &v,
            l.ticket_id,
            ApproveBody {
                comment,
                ..Default::default()
            },
        )
        .await
    } else {
        crate::usecases::tickets::reject(&s.pool, &v, l.ticket_id, CommentOnly { comment }).await
    };
    match done {
        Ok(t) => Ok(page(
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
        )),
        Err(e) => Ok(page(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::CONFLICT),
            "Not done",
            &format!("<p>{}</p>", escape(&e.message)),
        )),
    }
}
