//! The held sign-in (SPEC §6). A sign-in with the right password that a `review` login ACL
//! matches opens a `login_confirm` ticket for the rule's reviewers (never the person signing
//! in) and gives the browser a pending-sign-in token in an HttpOnly cookie; only its SHA-256
//! digest is stored. The waiting page asks where it stands (a long poll that returns the moment
//! any instance commits a decision); once approved, that same request turns the token into a
//! session, exactly once. Rejected, closed (the page was left) or expired (10 minutes) → the
//! token is worth nothing and the page says why.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use tollgate_app::auth::no_pending;
use tollgate_app::backend::{ClientInfo, HeldSignIn, PendingOutcome, PENDING_COOKIE};
use tollgate_app::dto::PendingSignIn;
use tollgate_app::AppError;
use tollgate_core::{
    LoginConfirmRequest, NewTicket, RuleError, TicketRequest, TicketState, TicketType, Transition,
    UserRef,
};
use uuid::Uuid;

use crate::identity::session;
use crate::store::live::Live;
use crate::store::{directory as dir, pending_logins, tickets as repo};

/// How long after the ticket's expiry an approved token may still be turned into a session
/// (the page completes within milliseconds; this covers a browser that was briefly offline).
const GRACE_MINUTES: i64 = 5;

use crate::identity::digest::of as digest;

/// The cookie that carries the pending-sign-in token (for the ticket's lifetime plus grace).
pub fn cookie(token: &str, secure: bool) -> String {
    let ttl =
        tollgate_core::default_ttl(TicketType::LoginConfirm) + Duration::minutes(GRACE_MINUTES);
    format!(
        "{PENDING_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ttl.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that forgets the pending-sign-in token.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{PENDING_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Who signs in, from where, held by which rule for whom.
pub struct Hold<'a> {
    pub user_id: Uuid,
    pub username: &'a str,
    pub client: &'a ClientInfo,
    pub rule_name: &'a str,
    pub reviewers: &'a [Uuid],
    /// The rule asks for a fresh second factor to decide.
    pub step_up: bool,
    /// How the person proved who they are: `password`, `oidc` or `ldap`.
    pub method: &'a str,
}

/// Opens the login_confirm ticket and the pending sign-in. `Ok(None)` when none of the
/// rule's reviewers (other than the person signing in) is active: nobody could let them in.
pub async fn hold(
    pool: &PgPool,
    h: Hold<'_>,
    secure: bool,
) -> Result<Option<HeldSignIn>, AppError> {
    let mut tx = pool.begin().await?;
    let mut named = h.reviewers.to_vec();
    named.push(h.user_id);
    let directory = dir::directory_for(&mut tx, None, &named).await?;
    let now = Utc::now();
    let ip = h
        .client
        .ip
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let user_agent: String = h
        .client
        .user_agent
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(400)
        .collect();
    let serial = repo::next_serial(&mut tx, now.date_naive()).await?;
    let opened = tollgate_core::open_with_reviewers(
        NewTicket {
            id: Uuid::new_v4(),
            serial,
            title: format!("Sign-in of {} from {ip}", h.username),
            org_id: None,
            applicant: UserRef::new(h.user_id, h.username.to_string()),
            request: TicketRequest::LoginConfirm(LoginConfirmRequest {
                ip,
                city: None,
                user_agent,
                at: now,
            }),
        },
        h.reviewers,
        h.step_up,
        &directory,
        now,
    );
    let Transition { ticket, events } = match opened {
        Ok(t) => t,
        Err(RuleError::NoApprovers { .. }) => return Ok(None),
        Err(e) => return Err(AppError::from(e)),
    };
    let expires_at = now + tollgate_core::default_ttl(TicketType::LoginConfirm);
    let inbox = repo::insert(&mut tx, &ticket, "", expires_at).await?;
    let token = session::new_token();
    let token_hash = digest(&token);
    pending_logins::insert(
        &mut *tx,
        &pending_logins::NewPending {
            token_hash: &token_hash,
            user_id: h.user_id,
            ticket_id: ticket.id,
            usable_until: expires_at + Duration::minutes(GRACE_MINUTES),
            rule_name: h.rule_name,
            ip: h.client.ip.map(|ip| ip.to_string()),
            user_agent: h.client.user_agent.as_deref(),
            method: h.method,
        },
    )
    .await?;
    crate::usecases::outbox::record(&mut tx, &ticket, &events, "opened", inbox).await?;
    tx.commit().await?;
    tracing::info!(user = %h.username, serial = %ticket.serial, rule = %h.rule_name, "sign-in held for review");
    let pending = read(pool, &token)
        .await?
        .ok_or_else(AppError::internal)?
        .pending;
    Ok(Some(HeldSignIn {
        pending,
        set_cookie: cookie(&token, secure),
    }))
}

struct Row {
    pending: PendingSignIn,
    user_id: Uuid,
    consumed: bool,
    usable_until: DateTime<Utc>,
}

/// Reads where the pending sign-in of `token` stands (no waiting, no side effects).
async fn read(pool: &PgPool, token: &str) -> Result<Option<Row>, AppError> {
    let Some(row) = pending_logins::by_token(pool, &digest(token)).await? else {
        return Ok(None);
    };
    let pending_logins::PendingRow {
        user_id,
        ticket_id,
        consumed_at,
        usable_until,
        rule_name: rule,
        ip,
        username,
        serial,
        state,
        opened_at,
        ticket_expires_at: expires_at,
    } = row;
    let mut state: TicketState = state.parse().map_err(|_| AppError::internal())?;
    // The sweep runs every half minute; past its deadline a pending ticket is as good as expired.
    if state == TicketState::Pending && Utc::now() >= expires_at {
        state = TicketState::Expired;
    }
    let reviewers = pending_logins::reviewer_names(pool, ticket_id).await?;
    let reason = if state == TicketState::Pending {
        None
    } else {
        Some(reason(pool, ticket_id, user_id, state).await?)
    };
    Ok(Some(Row {
        pending: PendingSignIn {
            ticket_id,
            serial,
            username,
            state,
            decided: state != TicketState::Pending,
            signed_in: false,
            rule,
            reviewers,
            ip,
            opened_at,
            expires_at,
            reason,
        },
        user_id,
        consumed: consumed_at.is_some(),
        usable_until,
    }))
}

/// Why the held sign-in ended, in words.
async fn reason(
    pool: &PgPool,
    ticket_id: Uuid,
    user_id: Uuid,
    state: TicketState,
) -> Result<String, AppError> {
    let last = pending_logins::last_event(pool, ticket_id).await?;
    let (actor, comment, name) = last.unwrap_or((None, None, None));
    let who = name.unwrap_or_else(|| "a reviewer".into());
    let said = comment
        .filter(|c| !c.trim().is_empty())
        .map(|c| format!(": \u{201c}{}\u{201d}", c.trim()))
        .unwrap_or_default();
    Ok(match state {
        TicketState::Approved => format!("Approved by {who}{said}."),
        TicketState::Rejected => format!("Refused by {who}{said}."),
        TicketState::Closed if actor == Some(user_id) => {
            "The request was withdrawn when the waiting page was left.".to_string()
        }
        TicketState::Closed => format!("Closed by {who}{said}."),
        TicketState::Expired => {
            "Nobody decided within 10 minutes, so the request expired.".to_string()
        }
        TicketState::Pending => String::new(),
    })
}

/// Where the held sign-in of `token` stands, waiting up to `wait` for a decision; once the
/// ticket is approved this opens the session (exactly once: the token is consumed, checked
/// and turned into a session in one transaction).
pub async fn pending(
    pool: &PgPool,
    live: &Live,
    token: &str,
    wait: std::time::Duration,
    client: &ClientInfo,
    session_hours: i64,
    secure: bool,
) -> Result<PendingOutcome, AppError> {
    // The page asks again: it was reloaded, not left (see [`leave`]).
    pending_logins::clear_leave_mark(pool, &digest(token)).await?;
    // Subscribe before reading, so a decision between the read and the wait is not missed.
    let mut rx = live.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    let row = loop {
        let row = read(pool, token).await?.ok_or_else(no_pending)?;
        if row.consumed {
            return Err(no_pending());
        }
        if row.pending.decided || tokio::time::Instant::now() >= deadline {
            break row;
        }
        let id = row.pending.ticket_id;
        // Wake at the decision, at the deadline, or when the ticket would expire.
        let until = deadline.min(
            tokio::time::Instant::now()
                + (row.pending.expires_at - Utc::now())
                    .to_std()
                    .unwrap_or_default(),
        );
        crate::store::live::wait_for_ticket(&mut rx, id, until).await;
    };
    let mut pending = row.pending;
    let mut set_cookies = Vec::new();
    if pending.state == TicketState::Approved {
        // The approval is used and the session opened in one transaction: a failure in
        // between rolls both back, and the page's next request can still sign in.
        let mut tx = pool.begin().await?;
        let method = pending_logins::consume(&mut tx, &digest(token)).await?;
        let Some(method) = method.filter(|_| Utc::now() <= row.usable_until) else {
            set_cookies.push(clear_cookie(secure));
            return Err(no_pending());
        };
        let session =
            session::create(&mut *tx, row.user_id, session_hours, client, &method).await?;
        tx.commit().await?;
        set_cookies.push(session::cookie(&session, session_hours, secure));
        pending.signed_in = true;
        tracing::info!(user = %pending.username, serial = %pending.serial, method = %method, "held sign-in approved; signed in");
    }
    if pending.decided {
        set_cookies.push(clear_cookie(secure));
    }
    Ok(PendingOutcome {
        pending,
        set_cookies,
    })
}

/// How long a left waiting page has to come back (a reload) before its request is withdrawn.
pub const LEAVE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The waiting page of `token` was left (closed, navigated away, or reloaded: the page cannot
/// tell). Marks the held sign-in and withdraws it after [`LEAVE_GRACE`] unless a status request
/// of the same browser (the reloaded page) cleared the mark in between. The withdrawal runs on
/// this instance; if it stops first, the request still expires after its 10 minutes.
pub async fn leave(pool: &PgPool, token: &str) -> Result<(), AppError> {
    let marked = pending_logins::mark_leaving(pool, &digest(token)).await?;
    if let Some(at) = marked {
        let (pool, token) = (pool.clone(), token.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(LEAVE_GRACE).await;
            if let Err(e) = withdraw_if(&pool, &token, Some(at)).await {
                tracing::warn!(error = %e.message, "withdrawing a left sign-in failed");
            }
        });
    }
    Ok(())
}

/// Withdraws the held sign-in of `token`: its ticket is closed by the person signing in
/// (the page was left). A token already decided or unknown is left alone.
pub async fn withdraw(pool: &PgPool, token: &str) -> Result<(), AppError> {
    withdraw_if(pool, token, None).await
}

/// [`withdraw`], when `left_at` is given only if the page has not come back since it was left
/// then (the mark is still the one [`leave`] set).
async fn withdraw_if(
    pool: &PgPool,
    token: &str,
    left_at: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let found = pending_logins::unused(&mut *tx, &digest(token), left_at).await?;
    let Some((user_id, ticket_id)) = found else {
        return Ok(());
    };
    let Some(row) = repo::get_for_update(&mut tx, ticket_id).await? else {
        return Ok(());
    };
    let t = row.to_core()?;
    if t.state != TicketState::Pending {
        return Ok(());
    }
    let actor = tollgate_core::Actor {
        user_id,
        system_role: tollgate_core::SystemRole::User,
        org_roles: Default::default(),
    };
    let Ok(Transition { ticket, events }) = tollgate_core::close(
        &t,
        &actor,
        Some("Left the sign-in page.".to_string()),
        Utc::now(),
    ) else {
        return Ok(());
    };
    let inbox = repo::update(&mut tx, &t, &ticket).await?;
    crate::usecases::outbox::record(&mut tx, &ticket, &events, "closed", inbox).await?;
    tx.commit().await?;
    tracing::info!(serial = %ticket.serial, "held sign-in withdrawn");
    Ok(())
}
