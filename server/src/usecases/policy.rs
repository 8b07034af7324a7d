//! Four eyes on policy. Who approves a request is decided by flows (and, for connections and
//! commands, by ACLs); if an org admin could change them alone, they could name a puppet as the
//! approver of their own requests. So a change of a flow made by anyone but a super admin is
//! not applied: it becomes a `policy_change` ticket, showing the policy before and after,
//! asked of the super admins (never its author). Approving it applies the change in the same
//! transaction; rejecting, withdrawing or letting it expire leaves the policy as it was. A
//! ticket whose approvers were named by its applicant's own unapproved change cannot exist,
//! because the change does not exist until someone else approved it.

use chrono::Utc;
use sqlx::PgPool;
use tollgate_app::dto::PendingChange;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{
    NewTicket, PolicyChangeRequest, RuleError, Ticket, TicketRequest, TicketType, Transition,
    UserRef,
};
use uuid::Uuid;

use crate::store::{directory as dir, tickets as repo};

/// A proposed change: what, of which org, and the policy before and after.
pub struct Proposal {
    pub org: Option<Uuid>,
    pub policy: &'static str,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub title: String,
}

/// Opens the `policy_change` ticket of `p`, asked of every active super admin but `viewer`.
/// 409 when a change of the same policy already waits; 422 when no other super admin exists.
pub async fn propose(
    pool: &PgPool,
    viewer: &Viewer,
    p: Proposal,
) -> Result<PendingChange, AppError> {
    let mut tx = pool.begin().await?;
    if let Some(open) = repo::pending_policy_change(&mut tx, p.org, p.policy, &p.target).await? {
        return Err(AppError::conflict(
            "change_pending",
            format!(
                "A change of this policy already waits for a super admin (ticket {}): withdraw it first, or wait for the decision.",
                open.serial
            ),
        )
        .with_details(serde_json::json!({"ticket_id": open.ticket_id, "serial": open.serial})));
    }
    let directory = dir::directory_for(&mut tx, p.org, &[viewer.id]).await?;
    let reviewers: Vec<Uuid> = directory
        .active_super_admins()
        .map(|u| u.id)
        .filter(|id| *id != viewer.id)
        .collect();
    let now = Utc::now();
    let serial = repo::next_serial(&mut tx, now.date_naive()).await?;
    let opened = tollgate_core::open_with_reviewers(
        NewTicket {
            id: Uuid::new_v4(),
            serial,
            title: p.title,
            org_id: p.org,
            applicant: UserRef::new(viewer.id, viewer.username.clone()),
            request: TicketRequest::PolicyChange(PolicyChangeRequest {
                policy: p.policy.to_string(),
                target: p.target,
                before: p.before,
                after: p.after,
            }),
        },
        &reviewers,
        false,
        &directory,
        now,
    );
    let Transition { ticket, events } = match opened {
        Ok(t) => t,
        Err(RuleError::NoApprovers { .. }) => return Err(AppError::new(
            422,
            "no_approvers",
            "Policy changes need a super admin other than you to approve them, and there is none.",
        )),
        Err(e) => return Err(AppError::from(e)),
    };
    let inbox = repo::insert(
        &mut tx,
        &ticket,
        "",
        now + tollgate_core::default_ttl(TicketType::PolicyChange),
    )
    .await?;
    crate::usecases::outbox::record(&mut tx, &ticket, &events, "opened", inbox).await?;
    tx.commit().await?;
    tracing::info!(by = %viewer.username, serial = %ticket.serial, "policy change proposed");
    Ok(PendingChange {
        ticket_id: ticket.id,
        serial: ticket.serial,
    })
}

/// Applies an approved `policy_change` ticket, in the approving transaction. A change that is
/// no longer valid (someone it names left) fails the approval with the field named.
pub async fn apply(db: &mut sqlx::PgConnection, t: &Ticket) -> Result<(), AppError> {
    let TicketRequest::PolicyChange(r) = &t.request else {
        return Ok(());
    };
    match r.policy.as_str() {
        "flow" => {
            let ticket_type = r.target.as_str();
            match &r.after {
                Some(def) => {
                    let flow: tollgate_core::Flow =
                        serde_json::from_value(def.clone()).map_err(|_| {
                            AppError::invalid("after", "the proposed flow does not parse")
                        })?;
                    crate::usecases::flows::check(db, t.org_id, &flow).await?;
                    dir::upsert_flow(&mut *db, t.org_id, ticket_type, def, Some(t.applicant.id))
                        .await?;
                }
                None => {
                    if let Some(org) = t.org_id {
                        dir::delete_flow(&mut *db, org, ticket_type).await?;
                    }
                }
            }
            Ok(())
        }
        acl => {
            let id: Uuid = r
                .target
                .parse()
                .map_err(|_| AppError::invalid("target", "not a rule id"))?;
            crate::usecases::acls::apply_change(db, acl, id, r.after.as_ref()).await
        }
    }
}
