//! One-time email links (SPEC §7): mail to an assignee whose decision is asked carries approve
//! and reject links, bound to the ticket, the level and the approver, valid one hour, single
//! use (using one spends both), refused once the level has moved on. Only the SHA-256 digest
//! of a link's token is stored. Who may act: the link's approver, signed in, unless the
//! setting `direct_email_approval` lets the link act by itself. The pages are http/mail_links.rs.

use rand::RngCore;
use sqlx::PgPool;
use tollgate_app::dto::{ApproveBody, RejectBody, TicketDto};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

pub use crate::store::mail_links::LinkRow as Link;

/// How long a one-time link lives.
pub const LINK_TTL_MINUTES: i64 = 60;

use crate::identity::digest::hex as digest;

/// Makes a one-time link for `user` to `action` (`approve` or `reject`) `ticket` at `level`;
/// returns its token (the only time it exists outside the mail).
pub async fn mint(
    pool: &PgPool,
    ticket: Uuid,
    level: i16,
    user: Uuid,
    action: &str,
) -> Result<String, AppError> {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let token: String = b.iter().map(|x| format!("{x:02x}")).collect();
    crate::store::mail_links::insert(
        pool,
        &digest(&token),
        ticket,
        level,
        user,
        action,
        LINK_TTL_MINUTES as i32,
    )
    .await?;
    Ok(token)
}

/// The link with this token, if there is one.
pub async fn find(pool: &PgPool, token: &str) -> Result<Option<Link>, AppError> {
    crate::store::mail_links::find(pool, &digest(token)).await
}

/// Why a link cannot act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It (or its sibling) was used.
    Used,
    /// Older than [`LINK_TTL_MINUTES`].
    Expired,
    /// The ticket has moved on: decided, withdrawn, expired or at another level.
    MovedOn,
}

/// Why `l` cannot act; `None` when it may.
pub fn refusal(l: &Link) -> Option<Refusal> {
    if l.used {
        Some(Refusal::Used)
    } else if l.expired {
        Some(Refusal::Expired)
    } else if !l.awaiting {
        Some(Refusal::MovedOn)
    } else {
        None
    }
}

/// Whether email links act without sign-in (settings key `direct_email_approval`).
pub async fn direct_approval(pool: &PgPool) -> Result<bool, AppError> {
    let v = crate::store::mail_links::direct_approval_setting(pool).await?;
    Ok(v.and_then(|v| v.as_bool()).unwrap_or(false))
}

/// Who would act through a link.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The link's approver (signed in, or by direct approval).
    Approver(Viewer),
    /// Someone else is signed in.
    SomeoneElse,
    /// Nobody is signed in and direct approval is off.
    SignInFirst,
    /// Direct approval, but the approver's account is not active.
    Inactive,
}

/// Who acts through `l`: the link's approver, signed in unless direct approval is on.
pub async fn actor(pool: &PgPool, l: &Link, signed_in: Option<&Viewer>) -> Result<Actor, AppError> {
    match signed_in {
        Some(v) if v.id == l.user_id => return Ok(Actor::Approver(v.clone())),
        Some(_) => return Ok(Actor::SomeoneElse),
        None => {}
    }
    if !direct_approval(pool).await? {
        return Ok(Actor::SignInFirst);
    }
    Ok(match crate::store::users::viewer(pool, l.user_id).await? {
        Some(v) => Actor::Approver(v),
        None => Actor::Inactive,
    })
}

/// The reason given on a reject link's page, if the level asks for one: core's rule, checked
/// before the link is spent.
pub fn check_reason(l: &Link, reason: Option<&str>) -> Result<(), AppError> {
    if l.action != "reject" {
        return Ok(());
    }
    let min = u16::try_from(l.reject_reason_min).unwrap_or(0);
    tollgate_core::check_reason("reason", min, reason).map_err(AppError::from)
}

/// Spends the link `token` (and its sibling); false when another request spent it first or
/// it expired meanwhile.
pub async fn spend(pool: &PgPool, l: &Link, token: &str) -> Result<bool, AppError> {
    crate::store::mail_links::spend(pool, l.ticket_id, l.level, l.user_id, &digest(token)).await
}

/// Decides as the link says, as `v`, noting that it came from the email link; `given`: the
/// second factor given on the link's page (a level that asks for one is refused without it).
pub async fn decide(
    pool: &PgPool,
    v: &Viewer,
    l: &Link,
    given: Option<tollgate_core::StepUp>,
    reason: Option<&str>,
) -> Result<TicketDto, AppError> {
    let comment = Some(match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{r} (from the email link)"),
        None => "(from the email link)".to_string(),
    });
    if l.action == "approve" {
        crate::usecases::tickets::approve(
            pool,
            v,
            l.ticket_id,
            ApproveBody {
                comment,
                ..Default::default()
            },
            given,
        )
        .await
    } else {
        let body = RejectBody {
            comment,
            second_factor_code: None,
        };
        crate::usecases::tickets::reject(pool, v, l.ticket_id, body, given).await
    }
}
