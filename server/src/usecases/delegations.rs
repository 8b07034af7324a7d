//! Out of office (core/src/delegation.rs): a person names a delegate for a period, or an admin
//! does it for them; while it runs the delegate is asked wherever the person would be. Tickets
//! opened meanwhile get the delegate when they open (usecases/tickets.rs); the tickets already
//! waiting on the person get them when the delegation starts — at once for one that starts
//! now, else in the timer sweep's round (jobs/timers.rs).

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, PgPool};
use tollgate_app::dto::{DelegationDto, Delegations, NewDelegation};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::delegation::{self, Period, Running};
use tollgate_core::RuleError;
use uuid::Uuid;

use crate::store::delegations as repo;
use crate::store::tickets as tickets_repo;

/// Who may name a delegate for `person`: they themselves, a super admin, or an admin of an org
/// they belong to. Anyone else learns nothing of them (404).
async fn may_act_for(pool: &PgPool, viewer: &Viewer, person: Uuid) -> Result<(), AppError> {
    if viewer.id == person || viewer.is_super_admin() {
        return Ok(());
    }
    let them = crate::store::users::viewer(pool, person).await?;
    match them {
        Some(p)
            if p.orgs
                .iter()
                .any(|m| crate::usecases::admin::may_admin(viewer, m.org_id)) =>
        {
            Ok(())
        }
        _ => Err(AppError::not_found("Person")),
    }
}

/// `person`'s delegations not yet over (away and standing in), and how many waiting tickets
/// are handed over or stood in for.
pub async fn list(pool: &PgPool, viewer: &Viewer, person: Uuid) -> Result<Delegations, AppError> {
    may_act_for(pool, viewer, person).await?;
    let now = Utc::now();
    let (handed_over, standing_in) = repo::handed(pool, person).await?;
    Ok(Delegations {
        delegations: repo::of_user(pool, person, now).await?,
        handed_over,
        standing_in,
    })
}

/// Names a delegate for `person`. One that starts now is handed the tickets already waiting
/// on the person before this returns.
pub async fn create(
    pool: &PgPool,
    viewer: &Viewer,
    person: Uuid,
    body: NewDelegation,
) -> Result<DelegationDto, AppError> {
    may_act_for(pool, viewer, person).await?;
    let now = Utc::now();
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let known = repo::known_locked(&mut tx, person, body.delegate_id, now).await?;
    let directory =
        crate::store::directory::directory_for(&mut tx, None, &[body.delegate_id]).await?;
    let period = delegation::check_new(
        person,
        body.delegate_id,
        Period {
            starts_at: body.starts_at,
            ends_at: body.ends_at,
        },
        &known,
        &directory,
        now,
    )
    .map_err(crate::usecases::tickets::field_errors)?;
    repo::insert(&mut *tx, id, person, body.delegate_id, period, viewer.id).await?;
    tx.commit().await?;
    tracing::info!(%person, delegate = %body.delegate_id, by = %viewer.username, "delegation named");
    if period.runs_at(now) {
        let mut db = pool.acquire().await?;
        if let Some((_, d)) = repo::to_apply(&mut *db, now, 1, Some(id)).await?.pop() {
            start(&mut db, id, &d, now).await?;
        }
    }
    repo::of_user(pool, person, now)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(AppError::internal)
}

/// Ends `person`'s delegation `id` now (one not started yet is removed). Tickets already handed
/// to the delegate keep them.
pub async fn end(pool: &PgPool, viewer: &Viewer, person: Uuid, id: Uuid) -> Result<(), AppError> {
    may_act_for(pool, viewer, person).await?;
    if repo::end(pool, person, id, Utc::now()).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Delegation"))
    }
}

/// Hands the delegations that have started since the last round the tickets already waiting
/// on their person. Returns how many tickets changed.
pub async fn start_due(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut done = 0;
    for (id, d) in repo::to_apply(&mut *conn, now, 100, None).await? {
        done += start(conn, id, &d, now).await?;
    }
    Ok(done)
}

/// Hands delegation `id` (running at `now`) the tickets waiting on its person, each in a
/// transaction of its own that locks the ticket, then notes it done.
async fn start(
    conn: &mut PgConnection,
    id: Uuid,
    d: &Running,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut done = 0;
    for ticket in repo::waiting_on(&mut *conn, d.person.id).await? {
        if hand_over(conn, ticket, d, now).await? {
            done += 1;
        }
    }
    repo::applied(&mut *conn, id, now).await?;
    Ok(done)
}

async fn hand_over(
    conn: &mut PgConnection,
    id: Uuid,
    d: &Running,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut tx = conn.begin().await?;
    let Some(row) = tickets_repo::get_for_update(&mut tx, id).await? else {
        return Ok(false);
    };
    let ticket = row.to_core()?;
    let directory =
        crate::store::directory::directory_for(&mut tx, ticket.org_id, &[d.delegate.id]).await?;
    let t = match delegation::apply(&ticket, std::slice::from_ref(d), &directory, now) {
        Ok(t) => t,
        // Decided meanwhile, or nothing to add (the delegate is asked there already).
        Err(RuleError::NotDue | RuleError::AlreadyClosed) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let inbox = tickets_repo::update(&mut tx, &ticket, &t.ticket).await?;
    crate::usecases::outbox::record(&mut tx, &t.ticket, &t.events, "delegated", inbox).await?;
    tx.commit().await?;
    Ok(true)
}
