//! Timers of a level, so that approvals do not stall: remind the assignees who have not
//! answered, escalate to more approvers, or end the ticket, each after some hours without a
//! decision at the level.
//!
//! A flow level carries its [`Timers`]; each step of a ticket keeps them from when it opened,
//! with its [`StepClock`]: when the level became the current one, when it last reminded, and
//! whether it escalated. [`next_due`] says when the current level's next timer is due (the
//! server keeps it to find tickets due), [`run`] does what is due at `now`. Running it twice at
//! the same moment does nothing more the second time; the applicant is never added.

use crate::directory::Directory;
use crate::error::{FieldError, RuleError};
use crate::flow::ApproverSelector;
use crate::ids::UserRef;
use crate::ticket::{
    Assignee, Decision, EventKind, StepState, Ticket, TicketEvent, TicketState, Transition,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Longest a level's timer may wait, in hours (30 days).
pub const MAX_TIMER_HOURS: u16 = 720;

/// What ends a ticket whose level went without a decision for too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimedOutcome {
    /// Rejected by the system, saying why.
    Reject,
    /// Expired, as when its time to live runs out.
    Expire,
}

/// After `after_hours` without a decision at the level, add the approvers of `selector`, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalation {
    /// Hours after the level became the current one.
    pub after_hours: u16,
    /// Who is added (resolved when it happens: active, not the applicant, not already asked).
    pub selector: ApproverSelector,
}

/// After `after_hours` without a decision at the level, end the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimedEnd {
    /// Hours after the level became the current one.
    pub after_hours: u16,
    /// Reject or expire.
    pub outcome: TimedOutcome,
}

/// A level's timers; every one is off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timers {
    /// Remind the assignees who have not answered after this many hours, and again every as
    /// many hours.
    #[serde(default)]
    pub remind_every_hours: Option<u16>,
    /// Add approvers after some hours.
    #[serde(default)]
    pub escalate: Option<Escalation>,
    /// End the ticket after some hours.
    #[serde(default)]
    pub end: Option<TimedEnd>,
}

impl Timers {
    /// True when no timer is set.
    pub fn is_empty(&self) -> bool {
        self.remind_every_hours.is_none() && self.escalate.is_none() && self.end.is_none()
    }

    /// Field errors of the timers of level `i` (0-based), pushed to `errors`.
    pub fn validate(&self, i: usize, errors: &mut Vec<FieldError>) {
        let hours = |field: &str, h: u16, errors: &mut Vec<FieldError>| {
            if h == 0 || h > MAX_TIMER_HOURS {
                errors.push(FieldError::new(
                    format!("levels[{i}].timers.{field}"),
                    format!("1 to {MAX_TIMER_HOURS} hours"),
                ));
            }
        };
        if let Some(h) = self.remind_every_hours {
            hours("remind_every_hours", h, errors);
        }
        if let Some(e) = &self.escalate {
            hours("escalate.after_hours", e.after_hours, errors);
            if e.selector.is_empty() {
                errors.push(FieldError::new(
                    format!("levels[{i}].timers.escalate.selector"),
                    "choose who is added",
                ));
            }
        }
        if let Some(e) = &self.end {
            hours("end.after_hours", e.after_hours, errors);
        }
    }
}

/// Where a step's timers stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepClock {
    /// When the level became the current one (`None` before, and on tickets older than
    /// timers: their timers never run).
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// When its assignees were last reminded.
    #[serde(default)]
    pub reminded_at: Option<DateTime<Utc>>,
    /// Whether it escalated (it does once).
    #[serde(default)]
    pub escalated: bool,
}

/// Who an escalation to `selector` adds to a level of a ticket of `org` by `applicant` whose
/// assignees are `asked`: the selector's active people who are neither the applicant nor asked
/// already. Also the flow editor's preview.
pub fn escalation_adds(
    selector: &ApproverSelector,
    dir: &Directory,
    org: Option<crate::ids::OrgId>,
    applicant: crate::ids::UserId,
    asked: &[crate::ids::UserId],
) -> Vec<UserRef> {
    selector
        .active_users(dir, org)
        .into_iter()
        .filter(|u| u.id != applicant && !asked.contains(&u.id))
        .collect()
}

fn hours(h: u16) -> Duration {
    Duration::hours(i64::from(h))
}

/// When the current level's next timer is due; `None` when the ticket is not pending or its
/// level has no timer left to run.
pub fn next_due(t: &Ticket) -> Option<DateTime<Utc>> {
    if t.state != TicketState::Pending {
        return None;
    }
    let step = t.current_step()?;
    let since = step.clock.since?;
    let timers = &step.timers;
    let remind = timers
        .remind_every_hours
        .map(|h| step.clock.reminded_at.unwrap_or(since) + hours(h));
    let escalate = timers
        .escalate
        .as_ref()
        .filter(|_| !step.clock.escalated)
        .map(|e| since + hours(e.after_hours));
    let end = timers.end.map(|e| since + hours(e.after_hours));
    [remind, escalate, end].into_iter().flatten().min()
}

/// Runs the current level's timers that are due at `now`: ends the ticket (the end wins over
/// the others), else escalates (adding the selector's active people who are neither the
/// applicant nor asked already) and reminds the assignees who have not answered. Events have
/// no actor (the system). [`RuleError::NotDue`] when nothing is due, so a second run at the
/// same moment changes nothing.
pub fn run(t: &Ticket, dir: &Directory, now: DateTime<Utc>) -> Result<Transition, RuleError> {
    if !t.state.is_open() {
        return Err(RuleError::AlreadyClosed);
    }
    if next_due(t).is_none_or(|due| due > now) {
        return Err(RuleError::NotDue);
    }
    let mut t = t.clone();
    let level = t.current_level;
    let idx = t
        .steps
        .iter()
        .position(|s| s.level == level)
        .ok_or(RuleError::NotDue)?;
    let since = t.steps[idx].clock.since.ok_or(RuleError::NotDue)?;
    let timers = t.steps[idx].timers.clone();
    let mut events = Vec::new();

    if let Some(end) = timers.end.filter(|e| since + hours(e.after_hours) <= now) {
        let why = format!(
            "No decision at level {level} within {} hours.",
            end.after_hours
        );
        let (state, kind) = match end.outcome {
            TimedOutcome::Reject => (TicketState::Rejected, EventKind::Rejected),
            TimedOutcome::Expire => (TicketState::Expired, EventKind::Expired),
        };
        if state == TicketState::Rejected {
            t.steps[idx].state = StepState::Rejected;
        }
        crate::transition::finish(&mut t, state, now);
        let mut e = TicketEvent::new(kind, None, now, Some(level));
        e.comment = Some(why);
        events.push(e);
        return Ok(Transition { ticket: t, events });
    }

    if let Some(esc) = timers
        .escalate
        .as_ref()
        .filter(|e| !t.steps[idx].clock.escalated && since + hours(e.after_hours) <= now)
    {
        let asked: Vec<_> = t.steps[idx].assignees.iter().map(|a| a.user_id).collect();
        let added = escalation_adds(&esc.selector, dir, t.org_id, t.applicant.id, &asked);
        let step = &mut t.steps[idx];
        step.assignees
            .extend(added.iter().cloned().map(Assignee::new));
        step.clock.escalated = true;
        let names: Vec<&str> = added.iter().map(|u| u.username.as_str()).collect();
        let mut e = TicketEvent::new(EventKind::Escalated, None, now, Some(level));
        e.comment = Some(if names.is_empty() {
            format!(
                "No decision within {} hours; nobody new could be added.",
                esc.after_hours
            )
        } else {
            format!(
                "No decision within {} hours; added {}.",
                esc.after_hours,
                names.join(", ")
            )
        });
        events.push(e);
    }

    if let Some(h) = timers.remind_every_hours {
        let step = &mut t.steps[idx];
        if step.clock.reminded_at.unwrap_or(since) + hours(h) <= now {
            step.clock.reminded_at = Some(now);
            let waiting: Vec<&str> = step
                .assignees
                .iter()
                .filter(|a| a.decision == Decision::Pending)
                .map(|a| a.username.as_str())
                .collect();
            let mut e = TicketEvent::new(EventKind::Reminded, None, now, Some(level));
            e.comment = Some(format!("Reminded {}.", waiting.join(", ")));
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err(RuleError::NotDue);
    }
    t.updated_at = now;
    Ok(Transition { ticket: t, events })
}
