//! Out of office: someone away names a delegate for a period, and while it runs the delegate is
//! asked wherever they would be — on tickets opened meanwhile, and on the tickets already
//! waiting on them when it starts. The delegate decides *for* them: their answer is the
//! person's and counts once (see [`crate::Step::answer`]).
//!
//! The rules, all here: a delegate is never the applicant; one hop only (a delegate's entry is
//! never handed on, so there are no chains and no loops); a delegate already asked at a level
//! is not added there again (one person, one answer); a flow level may forbid delegation; a
//! delegate must be active, and a new delegation may not overlap the person's own other
//! delegations nor a period when the delegate is away themselves.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::error::{FieldError, FieldErrors, RuleError};
use crate::ids::{UserId, UserRef};
use crate::ticket::{
    Assignee, Decision, EventKind, StepState, Ticket, TicketEvent, TicketState, Transition,
};

/// The longest delegation, in days.
pub const MAX_DAYS: i64 = 366;

/// A period someone is away, from `starts_at` (inclusive) to `ends_at` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
}

impl Period {
    /// Whether the two share a moment.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }

    /// Whether it runs at `now`.
    pub fn runs_at(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// A delegation that runs now: `person` is away until `until`, `delegate` stands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    /// Who is away.
    pub person: UserRef,
    /// Who is asked in their place.
    pub delegate: UserRef,
    /// When it ends.
    pub until: DateTime<Utc>,
}

/// What a new delegation is checked against.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The person's own delegations that have not ended.
    pub own: Vec<(Period, String)>,
    /// The delegate's own delegations (when they are away) that have not ended.
    pub delegate_away: Vec<Period>,
}

/// Checks a new delegation of `person` to `delegate` for `period` at `now`, and gives the
/// period to keep (a start in the past starts now). Refusals name the field: `delegate_id`
/// (themselves, not an active person, away then too), `starts_at` (more than [`MAX_DAYS`]
/// ahead, overlaps one of the person's), `ends_at` (not after the start, already over, longer
/// than [`MAX_DAYS`]).
pub fn check_new(
    person: UserId,
    delegate: UserId,
    period: Period,
    known: &Known,
    dir: &Directory,
    now: DateTime<Utc>,
) -> Result<Period, FieldErrors> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| errors.push(FieldError::new(field, message));
    let kept = Period {
        starts_at: period.starts_at.max(now),
        ends_at: period.ends_at,
    };
    if delegate == person {
        err("delegate_id", "nobody can stand in for themselves".into());
    } else if dir.active(delegate).is_none() {
        err("delegate_id", "no active person has this id".into());
    } else if let Some(p) = known.delegate_away.iter().find(|p| p.overlaps(&kept)) {
        err(
            "delegate_id",
            format!(
                "they are away themselves then (until {}): choose someone else",
                day(p.ends_at)
            ),
        );
    }
    if period.starts_at > now + Duration::days(MAX_DAYS) {
        err(
            "starts_at",
            format!("must be within {MAX_DAYS} days from now"),
        );
    } else if period.ends_at <= now {
        err("ends_at", "must be in the future".into());
    } else if period.ends_at <= period.starts_at {
        err("ends_at", "must be after the start".into());
    } else if kept.ends_at - kept.starts_at > Duration::days(MAX_DAYS) {
        err(
            "ends_at",
            format!("a delegation lasts {MAX_DAYS} days at most"),
        );
    } else if let Some((p, to)) = known.own.iter().find(|(p, _)| p.overlaps(&kept)) {
        err(
            "starts_at",
            format!(
                "overlaps the delegation to {to} from {} until {}",
                day(p.starts_at),
                day(p.ends_at)
            ),
        );
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(FieldErrors(errors))
    }
}

/// A date as people read it ("12 Dec 2026", UTC).
fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// Adds the delegates of `running` delegations to a pending ticket: at every level not yet
/// decided whose flow level allows it, each person asked in their own right who has not
/// answered and is away gets their delegate, "for" them — unless the delegate is the
/// applicant, is not active, or is asked at that level already. One `delegated` event per
/// delegation that added someone. Nothing to add is [`RuleError::NotDue`]; so applying the same
/// delegations twice changes nothing more.
pub fn apply(
    ticket: &Ticket,
    running: &[Running],
    dir: &Directory,
    now: DateTime<Utc>,
) -> Result<Transition, RuleError> {
    if ticket.state != TicketState::Pending {
        return Err(RuleError::AlreadyClosed);
    }
    let mut t = ticket.clone();
    let mut events: Vec<TicketEvent> = Vec::new();
    for d in running {
        if d.delegate.id == t.applicant.id || dir.active(d.delegate.id).is_none() {
            continue;
        }
        let mut first_level = None;
        for step in t.steps.iter_mut().filter(|s| {
            matches!(s.state, StepState::Active | StepState::Pending) && !s.no_delegation
        }) {
            let waiting = step
                .principals()
                .any(|a| a.user_id == d.person.id && a.decision == Decision::Pending);
            if !waiting || step.assignee(d.delegate.id).is_some() {
                continue;
            }
            step.assignees.push(Assignee {
                on_behalf_of: Some(d.person.clone()),
                ..Assignee::new(d.delegate.clone())
            });
            first_level.get_or_insert(step.level);
        }
        if let Some(level) = first_level {
            let mut e = TicketEvent::new(EventKind::Delegated, Some(d.person.id), now, Some(level));
            e.comment = Some(format!(
                "Away until {}: {} is asked in their place.",
                day(d.until),
                d.delegate.username
            ));
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err(RuleError::NotDue);
    }
    t.updated_at = now;
    Ok(Transition { ticket: t, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, 9, 0, 0).unwrap()
    }

    #[test]
    fn periods_overlap_when_they_share_a_moment() {
        let p = |a, b| Period {
            starts_at: at(a),
            ends_at: at(b),
        };
        assert!(p(1, 5).overlaps(&p(4, 8)));
        assert!(!p(1, 5).overlaps(&p(5, 8)), "end is exclusive");
        assert!(p(1, 5).runs_at(at(1)) && !p(1, 5).runs_at(at(5)));
    }

    #[test]
    fn a_date_reads_as_people_write_it() {
        assert_eq!(day(at(12)), "12 Dec 2026");
    }
}
