//! Who may do what on a ticket. The server enforces it; the browser calls
//! [`allowed_actions`] to show only the buttons that will work.
//!
//! | action | who | when |
//! |---|---|---|
//! | view | applicant, assignees of every level, CC users, super admins, org admins and org auditors of the ticket's org | always |
//! | approve, reject | an assignee of the **current** level who has not decided yet | pending |
//! | edit (while approving) | same, `apply_asset` only | pending |
//! | close | the applicant ("withdrawn"), or an assignee of the current level | pending |
//! | comment | applicant, assignee of any level, super admins (CC users read only) | pending |
//! | revoke the grant | super admins, the org's admins, an assignee of the last level | approved |
//!
//! A viewer who may not act gets `Forbidden` (403), an assignee of another level
//! `NotYourTurn` (409), anyone on an ended ticket `AlreadyClosed` (409), and someone who
//! cannot view the ticket `NotFound` (404).

use crate::directory::Actor;
use crate::error::RuleError;
use crate::role::OrgRole;
use crate::ticket::{Decision, Ticket, TicketType};
use serde::{Deserialize, Serialize};

/// Something a user may do on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketAction {
    /// See it and its history.
    View,
    /// Approve the current level.
    Approve,
    /// Reject the ticket.
    Reject,
    /// Close (or, for the applicant, withdraw) it.
    Close,
    /// Write in its thread.
    Comment,
    /// Change the `apply_asset` request while approving.
    Edit,
}

impl TicketAction {
    /// Every action, in the order [`allowed_actions`] lists them.
    pub const ALL: [TicketAction; 6] = [
        TicketAction::View,
        TicketAction::Approve,
        TicketAction::Reject,
        TicketAction::Close,
        TicketAction::Comment,
        TicketAction::Edit,
    ];
}

/// True when `actor` may see `ticket` at all.
pub fn can_view(actor: &Actor, ticket: &Ticket) -> bool {
    let u = actor.user_id;
    ticket.is_applicant(u)
        || ticket.is_assignee(u)
        || ticket.is_cc(u)
        || actor.is_super_admin()
        || ticket.org_id.is_some_and(|org| {
            matches!(
                actor.org_role(org),
                Some(OrgRole::OrgAdmin | OrgRole::OrgAuditor)
            )
        })
}

/// Whether `actor` may do `action` on `ticket` now, and if not, the error to answer with.
pub fn authorize(actor: &Actor, ticket: &Ticket, action: TicketAction) -> Result<(), RuleError> {
    if !can_view(actor, ticket) {
        return Err(RuleError::NotFound);
    }
    if action == TicketAction::View {
        return Ok(());
    }
    if !ticket.state.is_open() {
        return Err(RuleError::AlreadyClosed);
    }
    let u = actor.user_id;
    let current = ticket.current_step().and_then(|s| s.assignee(u));
    let other_level = || current.is_none() && ticket.is_assignee(u);
    match action {
        TicketAction::View => Ok(()),
        TicketAction::Approve | TicketAction::Reject | TicketAction::Edit => match current {
            Some(a) if a.decision != Decision::Pending => Err(RuleError::AlreadyDecided),
            Some(_)
                if action == TicketAction::Edit && ticket.ticket_type != TicketType::ApplyAsset =>
            {
                Err(RuleError::Forbidden)
            }
            Some(_) => Ok(()),
            None if other_level() => Err(RuleError::NotYourTurn),
            None => Err(RuleError::Forbidden),
        },
        TicketAction::Close => {
            if ticket.is_applicant(u) || current.is_some() {
                Ok(())
            } else if other_level() {
                Err(RuleError::NotYourTurn)
            } else {
                Err(RuleError::Forbidden)
            }
        }
        TicketAction::Comment => {
            if ticket.is_applicant(u) || ticket.is_assignee(u) || actor.is_super_admin() {
                Ok(())
            } else {
                Err(RuleError::Forbidden)
            }
        }
    }
}

/// Everything `actor` may do on `ticket` now (empty when they cannot see it).
pub fn allowed_actions(actor: &Actor, ticket: &Ticket) -> Vec<TicketAction> {
    TicketAction::ALL
        .into_iter()
        .filter(|a| authorize(actor, ticket, *a).is_ok())
        .collect()
}

/// Whether `actor` may take back the access an approved request granted: a super admin, an
/// admin of the grant's org, or someone asked at the request's last level (the approvers who
/// let it through last; `last_level` says whether `actor` is one). [`may_revoke_grant_of`] is
/// the same for a ticket at hand.
pub fn may_revoke_grant(actor: &Actor, org: Option<crate::ids::OrgId>, last_level: bool) -> bool {
    actor.is_super_admin()
        || last_level
        || org.is_some_and(|o| actor.org_role(o) == Some(OrgRole::OrgAdmin))
}

/// [`may_revoke_grant`] for `ticket` (approved `apply_asset` requests only: the others grant
/// nothing).
pub fn may_revoke_grant_of(actor: &Actor, ticket: &Ticket) -> bool {
    ticket.state == crate::ticket::TicketState::Approved
        && ticket.ticket_type == TicketType::ApplyAsset
        && may_revoke_grant(
            actor,
            ticket.org_id,
            ticket
                .steps
                .last()
                .is_some_and(|s| s.assignee(actor.user_id).is_some()),
        )
}
