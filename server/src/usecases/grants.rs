//! Grants: the access an approved request became. Who may revoke one is core's rule
//! (`may_revoke_grant`); revoking writes `grant_revoked` with its reason into the ticket's
//! history and tells the holder, the request's approvers and its CC (in-app, mail, webhooks,
//! live updates), in the transaction that revokes it. `grants/check` and the gateway read the
//! database, so every instance refuses at once.

use chrono::Utc;
use sqlx::PgPool;
use tollgate_app::dto::{GrantDto, Page};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{can_view, may_revoke_grant, may_revoke_grant_of, EventKind, TicketEvent};
use uuid::Uuid;

use crate::store::grants as repo;
use crate::store::tickets as tickets_repo;

/// Longest reason to revoke, in characters.
const MAX_REASON: usize = 1000;

fn live(g: &GrantDto) -> bool {
    matches!(g.status.as_str(), "active" | "scheduled")
}

/// The grants the viewer may see, each saying whether they may revoke it (as super admin or
/// org admin: the approvers of a request's last level revoke from its page).
pub async fn list(
    pool: &PgPool,
    viewer: &Viewer,
    mine: bool,
    page: u32,
) -> Result<Page<GrantDto>, AppError> {
    let mut p = repo::list(pool, viewer, mine, page).await?;
    let actor = viewer.actor();
    for g in &mut p.items {
        g.can_revoke = live(g) && may_revoke_grant(&actor, Some(g.org_id), false);
    }
    Ok(p)
}

/// The grant of ticket `id` as `viewer` sees it from the ticket's page.
pub async fn of_ticket(
    db: &mut sqlx::PgConnection,
    viewer: &Viewer,
    ticket: &tollgate_core::Ticket,
) -> Result<Option<GrantDto>, AppError> {
    let Some(mut g) = repo::get(&mut *db, ticket.id).await? else {
        return Ok(None);
    };
    g.can_revoke = live(&g) && may_revoke_grant_of(&viewer.actor(), ticket);
    Ok(Some(g))
}

/// The request a grant came from, when `viewer` may see it: whoever sees the request sees its
/// grant (404 otherwise).
fn request_of(
    row: Option<tickets_repo::TicketRow>,
    viewer: &Viewer,
) -> Result<tollgate_core::Ticket, AppError> {
    row.map(|r| r.to_core())
        .transpose()?
        .filter(|t| can_view(&viewer.actor(), t))
        .ok_or_else(|| AppError::not_found("Grant"))
}

/// Grant `id` as `viewer` sees it: whoever sees its request sees it (404 otherwise).
pub async fn get(pool: &PgPool, viewer: &Viewer, id: Uuid) -> Result<GrantDto, AppError> {
    let mut db = pool.acquire().await?;
    let ticket = request_of(tickets_repo::get(&mut *db, id).await?, viewer)?;
    of_ticket(&mut db, viewer, &ticket)
        .await?
        .ok_or_else(|| AppError::not_found("Grant"))
}

/// Revokes grant `id` with `reason`. 404 for someone who cannot see its request, 403 for
/// someone who may not revoke it, 409 when it is revoked or over already, 422 without a
/// reason; nothing changes then.
pub async fn revoke(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
) -> Result<GrantDto, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(AppError::invalid(
            "reason",
            format!("say why, in 1 to {MAX_REASON} characters"),
        ));
    }
    let mut tx = pool.begin().await?;
    let ticket = request_of(tickets_repo::get_for_update(&mut tx, id).await?, viewer)?;
    if repo::get(&mut *tx, id).await?.is_none() {
        return Err(AppError::not_found("Grant"));
    }
    if !may_revoke_grant_of(&viewer.actor(), &ticket) {
        return Err(AppError::forbidden(
            "Only super admins, the org's admins and the approvers of the request's last level revoke its access.",
        ));
    }
    let now = Utc::now();
    if !repo::revoke(&mut *tx, id, viewer.id, now).await? {
        return Err(AppError::new(
            409,
            "grant_ended",
            "This access was revoked or has ended already.",
        ));
    }
    let mut e = TicketEvent::new(EventKind::GrantRevoked, Some(viewer.id), now, None);
    e.comment = Some(reason.to_string());
    crate::usecases::outbox::record(&mut tx, &ticket, &[e], "grant_revoked", Default::default())
        .await?;
    let g = of_ticket(&mut tx, viewer, &ticket).await?;
    tx.commit().await?;
    tracing::info!(grant = %id, by = %viewer.username, "grant revoked");
    g.ok_or_else(|| AppError::not_found("Grant"))
}
