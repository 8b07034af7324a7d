//! The ticket state machine, as pure functions: each takes the ticket, who acts and `now`,
//! and returns the ticket after the action with the events to append — or why not.
//!
//! `pending` → `approved` | `rejected` | `closed` | `expired`; an ended ticket never changes.
//! Who may do what is decided by [`crate::permission::authorize`].

use crate::diff::RequestDiff;
use crate::directory::{Actor, Directory};
use crate::error::RuleError;
use crate::flow::{Flow, Rule};
use crate::ids::{OrgId, TicketId, UserId, UserRef};
use crate::permission::{authorize, TicketAction};
use crate::request::{ApplyAssetEdits, ApplyAssetRequest, TicketRequest};
use crate::ticket::{
    Assignee, Decision, EventKind, Step, StepState, Ticket, TicketEvent, TicketState, TicketType,
    Transition,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest comment or thread message, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// Longest ticket title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// How long a ticket of this type may stay pending before it expires, unless a setting
/// says otherwise: 10 minutes for `login_confirm` (someone is waiting at the sign-in page),
/// 7 days for the others.
pub fn default_ttl(ticket_type: TicketType) -> Duration {
    match ticket_type {
        TicketType::LoginConfirm => Duration::minutes(10),
        _ => Duration::days(7),
    }
}

/// When a ticket opened at `created_at` expires under `ttl`.
pub fn expires_at(ticket: &Ticket, ttl: Duration) -> DateTime<Utc> {
    ticket.created_at + ttl
}

/// What is known of a ticket before its approvers are resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Its id (chosen by the caller).
    pub id: TicketId,
    /// Its serial (see [`crate::serial::serial`]).
    pub serial: String,
    /// A title, 1..=200 characters after trimming.
    pub title: String,
    /// Its org.
    pub org_id: Option<OrgId>,
    /// Who asks (for the confirm types: the user whose login or command is held).
    pub applicant: UserRef,
    /// The body; it gives the ticket type.
    pub request: TicketRequest,
}

fn check_text(field: &str, raw: &str, max: usize) -> Result<String, RuleError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(RuleError::invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(RuleError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_string())
}

/// An optional comment: blank means none.
fn optional_comment(comment: Option<String>) -> Result<Option<String>, RuleError> {
    match comment {
        Some(c) if !c.trim().is_empty() => check_text("comment", &c, MAX_COMMENT_CHARS).map(Some),
        _ => Ok(None),
    }
}

fn build(
    new: NewTicket,
    levels: Vec<(Rule, bool, Vec<UserRef>)>,
    cc: Vec<UserRef>,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    let title = check_text("title", &new.title, MAX_TITLE_CHARS)?;
    let steps: Vec<Step> = levels
        .into_iter()
        .enumerate()
        .map(|(i, (rule, step_up, users))| Step {
            // Flows have at most 5 levels, so this fits.
            level: (i + 1) as u8,
            rule,
            step_up,
            reject_reason_min: 0,
            timers: Default::default(),
            clock: crate::timers::StepClock {
                since: (i == 0).then_some(now),
                ..Default::default()
            },
            state: if i == 0 {
                StepState::Active
            } else {
                StepState::Pending
            },
            assignees: users.into_iter().map(Assignee::new).collect(),
            no_delegation: false,
        })
        .collect();
    let applicant = new.applicant.id;
    let ticket = Ticket {
        id: new.id,
        serial: new.serial,
        ticket_type: new.request.ticket_type(),
        title,
        org_id: new.org_id,
        applicant: new.applicant,
        state: TicketState::Pending,
        current_level: 1,
        steps,
        cc,
        request: new.request,
        created_at: now,
        updated_at: now,
    };
    let events = vec![TicketEvent::new(
        EventKind::Opened,
        Some(applicant),
        now,
        Some(1),
    )];
    Ok(Transition { ticket, events })
}

/// Open a ticket under `flow`: each level's assignees are resolved now and kept (see
/// [`Flow::resolve`]: active users of the selector minus the applicant, falling back to the
/// super admins minus the applicant; none → `NoApprovers`). Level 1 is active.
pub fn open(
    new: NewTicket,
    flow: &Flow,
    dir: &Directory,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    let resolved = flow.resolve(dir, new.org_id, new.applicant.id)?;
    let levels = flow
        .levels
        .iter()
        .zip(resolved)
        .map(|(l, users)| (l.rule, l.step_up, users))
        .collect();
    let cc = flow.resolve_cc(dir, new.applicant.id);
    let mut tr = build(new, levels, cc, now)?;
    for (s, l) in tr.ticket.steps.iter_mut().zip(&flow.levels) {
        s.reject_reason_min = flow.limits.reject_reason_min;
        s.timers = l.timers.clone();
        s.no_delegation = l.no_delegation;
    }
    Ok(tr)
}

/// Open a confirm ticket (`login_confirm`, `login_asset_confirm`, `command_confirm`) asked of
/// the matching ACL's reviewers: one level, rule any, the active reviewers minus the user,
/// deciding it needing a fresh second factor when `step_up` (the rule asks for it); none left →
/// `NoApprovers { level: 1 }` (no fallback: the ACL names who reviews).
pub fn open_with_reviewers(
    new: NewTicket,
    reviewers: &[UserId],
    step_up: bool,
    dir: &Directory,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    let mut users: Vec<UserRef> = Vec::new();
    for id in reviewers {
        if *id == new.applicant.id || users.iter().any(|u| u.id == *id) {
            continue;
        }
        if let Some(u) = dir.active(*id) {
            users.push(UserRef::new(u.id, &u.username));
        }
    }
    if users.is_empty() {
        return Err(RuleError::NoApprovers { level: 1 });
    }
    build(new, vec![(Rule::Any, step_up, users)], vec![], now)
}

/// An approver may narrow a request, never widen it: what the applicant named can only be
/// taken away from (assets and nodes, accounts, actions) or shortened (a later start, an
/// earlier expiry). Where the applicant named no node or asset, or no account, the approver
/// fills them in (the applicant left the choice to them); `@ALL` accounts may be narrowed to
/// named ones. The error names the field that would grow.
pub fn check_narrows(
    before: &ApplyAssetRequest,
    after: &ApplyAssetRequest,
) -> Result<(), RuleError> {
    let widen = |field: &str, what: &str| {
        Err(RuleError::invalid(
            field,
            format!("an approver may narrow a request, not widen it: {what}"),
        ))
    };
    let named_targets = !before.nodes.is_empty() || !before.assets.is_empty();
    if named_targets {
        if after.nodes.iter().any(|n| !before.nodes.contains(n)) {
            return widen("nodes", "a node the applicant did not ask for was added");
        }
        if after.assets.iter().any(|a| !before.assets.contains(a)) {
            return widen("assets", "an asset the applicant did not ask for was added");
        }
    }
    let any_account = before.accounts.is_empty() || before.accounts.iter().any(|a| a.is_all());
    if !any_account && after.accounts.iter().any(|a| !before.accounts.contains(a)) {
        return widen(
            "accounts",
            "an account the applicant did not ask for was added",
        );
    }
    if after.actions.iter().any(|a| !before.actions.contains(a)) {
        return widen(
            "actions",
            "an action the applicant did not ask for was added",
        );
    }
    if after.window.start() < before.window.start() {
        return widen("start", "the access would start earlier than asked");
    }
    if after.window.expiry() > before.window.expiry() {
        return widen("expiry", "the access would last longer than asked");
    }
    Ok(())
}

fn current_index(t: &Ticket) -> Result<usize, RuleError> {
    t.steps
        .iter()
        .position(|s| s.level == t.current_level)
        .ok_or_else(|| RuleError::invalid("current_level", "the ticket has no such level"))
}

/// Whom `actor` decides for at `step`, when they stand in for someone.
fn for_whom(step: &Step, actor: UserId) -> Option<UserId> {
    step.assignee(actor)?.on_behalf_of.as_ref().map(|p| p.id)
}

/// End the ticket: every step not done nor rejected becomes closed.
pub(crate) fn finish(t: &mut Ticket, state: TicketState, now: DateTime<Utc>) {
    t.state = state;
    t.updated_at = now;
    for s in &mut t.steps {
        if matches!(s.state, StepState::Active | StepState::Pending) {
            s.state = StepState::Closed;
        }
    }
}

/// An assignee of the current level approves, optionally changing an `apply_asset` request
/// first. Rule `any`: the level is done now; `all`: when every assignee has approved. A done
/// level activates the next; after the last the ticket is approved — which, for
/// `apply_asset`, needs at least one node or asset and one account.
///
/// Events, in order: `edited` (with the diff, only if the edits changed something),
/// `approved` (with the comment), and `level_advanced` when the next level becomes active.
/// The ticket is finally approved when `ticket.state == Approved`.
pub fn approve(
    ticket: &Ticket,
    actor: &Actor,
    edits: Option<ApplyAssetEdits>,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    authorize(actor, ticket, TicketAction::Approve)?;
    let comment = optional_comment(comment)?;
    let mut t = ticket.clone();
    let mut events = Vec::new();
    let level = t.current_level;

    if let Some(edits) = edits.filter(|e| !e.is_empty()) {
        authorize(actor, ticket, TicketAction::Edit).map_err(|_| {
            RuleError::invalid("edits", "only an apply_asset request can be changed")
        })?;
        if let TicketRequest::ApplyAsset(before) = &t.request {
            let after = edits.apply_to(before)?;
            check_narrows(before, &after)?;
            let diff = RequestDiff::between(before, &after);
            if !diff.is_empty() {
                let mut e =
                    TicketEvent::new(EventKind::Edited, Some(actor.user_id), now, Some(level));
                e.diff = Some(diff);
                events.push(e);
                t.request = TicketRequest::ApplyAsset(after);
                // Whoever approved this level approved something else: they are asked again.
                let idx = current_index(&t)?;
                let principal = t.steps[idx]
                    .assignee(actor.user_id)
                    .map_or(actor.user_id, Assignee::principal);
                for a in t.steps[idx]
                    .assignees
                    .iter_mut()
                    .filter(|a| a.principal() != principal && a.decision == Decision::Approved)
                {
                    a.decision = Decision::Pending;
                    a.decided_at = None;
                }
            }
        }
    }

    let idx = current_index(&t)?;
    let step = &mut t.steps[idx];
    step.answer(actor.user_id, Decision::Approved, now);
    let mut approved = TicketEvent::new(EventKind::Approved, Some(actor.user_id), now, Some(level));
    approved.comment = comment;
    approved.on_behalf_of = for_whom(step, actor.user_id);
    events.push(approved);

    if step.rule_satisfied() {
        step.state = StepState::Done;
        if let Some(next) = t.steps.get_mut(idx + 1) {
            next.state = StepState::Active;
            next.clock.since = Some(now);
            t.current_level = next.level;
            events.push(TicketEvent::new(
                EventKind::LevelAdvanced,
                Some(actor.user_id),
                now,
                Some(next.level),
            ));
        } else {
            if let TicketRequest::ApplyAsset(r) = &t.request {
                r.check_grantable()?;
            }
            t.state = TicketState::Approved;
        }
    }
    t.updated_at = now;
    Ok(Transition { ticket: t, events })
}

/// An assignee of the current level rejects: the ticket is rejected at once.
pub fn reject(
    ticket: &Ticket,
    actor: &Actor,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    authorize(actor, ticket, TicketAction::Reject)?;
    let comment = optional_comment(comment)?;
    let mut t = ticket.clone();
    let level = t.current_level;
    let idx = current_index(&t)?;
    // The flow may ask for a reason to reject (kept on each level when the ticket opened).
    crate::flow::check_reason(
        "comment",
        t.steps[idx].reject_reason_min,
        comment.as_deref(),
    )?;
    let step = &mut t.steps[idx];
    step.answer(actor.user_id, Decision::Rejected, now);
    step.state = StepState::Rejected;
    let on_behalf_of = for_whom(step, actor.user_id);
    finish(&mut t, TicketState::Rejected, now);
    let mut e = TicketEvent::new(EventKind::Rejected, Some(actor.user_id), now, Some(level));
    e.comment = comment;
    e.on_behalf_of = on_behalf_of;
    Ok(Transition {
        ticket: t,
        events: vec![e],
    })
}

/// The applicant withdraws (event `withdrawn`) or an assignee of the current level closes
/// (event `closed`) a pending ticket.
pub fn close(
    ticket: &Ticket,
    actor: &Actor,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    authorize(actor, ticket, TicketAction::Close)?;
    let comment = optional_comment(comment)?;
    let kind = if ticket.is_applicant(actor.user_id) {
        EventKind::Withdrawn
    } else {
        EventKind::Closed
    };
    let mut t = ticket.clone();
    let level = t.current_level;
    finish(&mut t, TicketState::Closed, now);
    let mut e = TicketEvent::new(kind, Some(actor.user_id), now, Some(level));
    e.comment = comment;
    Ok(Transition {
        ticket: t,
        events: vec![e],
    })
}

/// A message in the ticket's thread, by the applicant, an assignee of any level or a super
/// admin, while pending. `body` is trimmed and must be 1..=10000 characters. The ticket
/// itself is returned unchanged (a comment is only an event).
pub fn comment(
    ticket: &Ticket,
    actor: &Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    authorize(actor, ticket, TicketAction::Comment)?;
    let body = check_text("body", body, MAX_COMMENT_CHARS)?;
    let mut e = TicketEvent::new(EventKind::Commented, Some(actor.user_id), now, None);
    e.comment = Some(body);
    Ok(Transition {
        ticket: ticket.clone(),
        events: vec![e],
    })
}

/// The system expires a pending ticket once `created_at + ttl <= now`; before that
/// `NotDue`, and an ended ticket is `AlreadyClosed`.
pub fn expire(ticket: &Ticket, now: DateTime<Utc>, ttl: Duration) -> Result<Transition, RuleError> {
    if !ticket.state.is_open() {
        return Err(RuleError::AlreadyClosed);
    }
    if expires_at(ticket, ttl) > now {
        return Err(RuleError::NotDue);
    }
    let mut t = ticket.clone();
    let level = t.current_level;
    finish(&mut t, TicketState::Expired, now);
    Ok(Transition {
        ticket: t,
        events: vec![TicketEvent::new(EventKind::Expired, None, now, Some(level))],
    })
}

#[cfg(test)]
#[path = "transition_tests.rs"]
mod tests;
