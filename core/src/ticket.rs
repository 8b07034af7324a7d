//! The ticket: its type, state, approval steps and history events.

use crate::diff::RequestDiff;
use crate::error::RuleError;
use crate::flow::Rule;
use crate::ids::{OrgId, TicketId, UserId, UserRef};
use crate::request::TicketRequest;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An enum name that is not known (ticket type, state, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    /// What was being parsed.
    pub kind: &'static str,
    /// The text given.
    pub value: String,
}

macro_rules! named_enum {
    ($ty:ident, $kind:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The snake_case name used in JSON, URLs and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(UnknownName { kind: $kind, value: s.to_string() }),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// What a ticket asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    /// Time-bound access to assets; approval writes a grant.
    ApplyAsset,
    /// A sign-in to Tollgate held by the login ACL.
    LoginConfirm,
    /// A connection to an asset held by a gateway.
    LoginAssetConfirm,
    /// A command held by a gateway.
    CommandConfirm,
    /// A flow or ACL change by someone who is not a super admin, for a super admin to approve.
    PolicyChange,
}

named_enum!(TicketType, "ticket type", {
    ApplyAsset => "apply_asset",
    LoginConfirm => "login_confirm",
    LoginAssetConfirm => "login_asset_confirm",
    CommandConfirm => "command_confirm",
    PolicyChange => "policy_change",
});

/// Where a ticket is in its life. Only `Pending` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Waiting for approvers.
    Pending,
    /// Every level approved; the type's effect ran.
    Approved,
    /// An approver rejected it.
    Rejected,
    /// Closed by the applicant (withdrawn) or an approver.
    Closed,
    /// Its time to live ran out.
    Expired,
}

named_enum!(TicketState, "ticket state", {
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
    Closed => "closed",
    Expired => "expired",
});

impl TicketState {
    /// True while the ticket may still change (`pending`).
    pub fn is_open(self) -> bool {
        self == TicketState::Pending
    }
}

/// The state of one approval level of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// A later level, not yet reached.
    Pending,
    /// The current level.
    Active,
    /// Approved under its rule.
    Done,
    /// An assignee rejected here.
    Rejected,
    /// The ticket ended (closed, rejected or expired) before this level was done.
    Closed,
}

named_enum!(StepState, "step state", {
    Pending => "pending",
    Active => "active",
    Done => "done",
    Rejected => "rejected",
    Closed => "closed",
});

/// One assignee's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Not yet decided.
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

named_enum!(Decision, "decision", {
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
});

/// Someone asked to approve one level, and what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// Their id.
    pub user_id: UserId,
    /// Their username when the ticket opened.
    pub username: String,
    /// Their answer so far.
    pub decision: Decision,
    /// When they answered.
    pub decided_at: Option<DateTime<Utc>>,
    /// For a delegate: the person they stand in for (out of office; see
    /// [`crate::delegation`]). Their answer is that person's, and counts once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<UserRef>,
}

impl Assignee {
    /// Someone asked in their own right, not yet answered.
    pub fn new(user: UserRef) -> Self {
        Self {
            user_id: user.id,
            username: user.username,
            decision: Decision::Pending,
            decided_at: None,
            on_behalf_of: None,
        }
    }

    /// Whose answer this entry gives: the person a delegate stands in for, else their own.
    pub fn principal(&self) -> UserId {
        self.on_behalf_of.as_ref().map_or(self.user_id, |p| p.id)
    }
}

/// One approval level of a ticket, with the assignees resolved when it opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based level.
    pub level: u8,
    /// `any`, `all` or `at_least` N.
    pub rule: Rule,
    /// Deciding here asks for a fresh second factor (the flow level's setting when it opened).
    #[serde(default)]
    pub step_up: bool,
    /// Rejecting here needs a reason of at least this many characters (the flow's limit when
    /// the ticket opened; 0: none).
    #[serde(default)]
    pub reject_reason_min: u16,
    /// The flow level's timers when the ticket opened.
    #[serde(default)]
    pub timers: crate::timers::Timers,
    /// Where those timers stand.
    #[serde(default)]
    pub clock: crate::timers::StepClock,
    /// Where this level is.
    pub state: StepState,
    /// Who is asked (never the applicant, never empty): the people resolved when the ticket
    /// opened or added by an escalation, and their delegates while they are away.
    pub assignees: Vec<Assignee>,
    /// The flow level forbade delegation when the ticket opened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_delegation: bool,
}

impl Step {
    /// The assignee entry of `user`, if they are asked here.
    pub fn assignee(&self, user: UserId) -> Option<&Assignee> {
        self.assignees.iter().find(|a| a.user_id == user)
    }

    /// The people asked in their own right (a delegate's entry is not one: their answer is
    /// the person's they stand in for).
    pub fn principals(&self) -> impl Iterator<Item = &Assignee> {
        self.assignees.iter().filter(|a| a.on_behalf_of.is_none())
    }

    /// How many people approved so far (a delegate's approval is the person's: it counts once).
    pub fn approvals(&self) -> usize {
        self.principals()
            .filter(|a| a.decision == Decision::Approved)
            .count()
    }

    /// How many approvals the level needs (see [`Rule::needed`]).
    pub fn needed(&self) -> usize {
        self.rule.needed(self.principals().count())
    }

    /// Records `actor`'s answer: on their entry and on every entry that answers for the same
    /// person (a delegate and the one they stand in for answer once, together).
    pub fn answer(&mut self, actor: UserId, decision: Decision, now: DateTime<Utc>) {
        let Some(principal) = self.assignee(actor).map(Assignee::principal) else {
            return;
        };
        for a in self
            .assignees
            .iter_mut()
            .filter(|a| a.principal() == principal)
        {
            a.decision = decision;
            a.decided_at = Some(now);
        }
    }

    /// True when the approvals so far satisfy the rule.
    pub fn rule_satisfied(&self) -> bool {
        let approvals = self.approvals();
        approvals > 0 && approvals >= self.needed()
    }
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Its id (also the id of its grant).
    pub id: TicketId,
    /// `YYYYMMDD` + the day's counter, see [`crate::serial::parse_serial`].
    pub serial: String,
    /// What it asks for.
    pub ticket_type: TicketType,
    /// A title for lists.
    pub title: String,
    /// The org it belongs to (none for a sign-in to Tollgate).
    pub org_id: Option<OrgId>,
    /// Who asked.
    pub applicant: UserRef,
    /// Where it is.
    pub state: TicketState,
    /// The 1-based level being decided (the last level once approved).
    pub current_level: u8,
    /// One step per level, in order.
    pub steps: Vec<Step>,
    /// Users told of every change, who cannot act.
    pub cc: Vec<UserRef>,
    /// The body (may change while an `apply_asset` ticket is approved).
    pub request: TicketRequest,
    /// When it opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Ticket {
    /// The step being decided.
    pub fn current_step(&self) -> Option<&Step> {
        self.step(self.current_level)
    }

    /// The step of a 1-based level.
    pub fn step(&self, level: u8) -> Option<&Step> {
        self.steps.iter().find(|s| s.level == level)
    }

    /// True when approving or rejecting now asks for a fresh second factor.
    pub fn needs_step_up(&self) -> bool {
        self.current_step().is_some_and(|s| s.step_up)
    }

    /// True when `user` is asked at any level.
    pub fn is_assignee(&self, user: UserId) -> bool {
        self.steps.iter().any(|s| s.assignee(user).is_some())
    }

    /// True when `user` is asked at the current level.
    pub fn is_current_assignee(&self, user: UserId) -> bool {
        self.current_step()
            .is_some_and(|s| s.assignee(user).is_some())
    }

    /// True when `user` is on the CC list.
    pub fn is_cc(&self, user: UserId) -> bool {
        self.cc.iter().any(|u| u.id == user)
    }

    /// True when `user` asked for it.
    pub fn is_applicant(&self, user: UserId) -> bool {
        self.applicant.id == user
    }

    /// Everyone to tell about a change: applicant, assignees of every level, CC; each once.
    pub fn watchers(&self) -> Vec<UserId> {
        let mut out = vec![self.applicant.id];
        let others = self
            .steps
            .iter()
            .flat_map(|s| s.assignees.iter().map(|a| a.user_id))
            .chain(self.cc.iter().map(|u| u.id));
        for u in others {
            if !out.contains(&u) {
                out.push(u);
            }
        }
        out
    }
}

/// What happened to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// It was opened.
    Opened,
    /// An assignee approved (their level may or may not be done).
    Approved,
    /// A level was done and the next one became active (`level` = the new level).
    LevelAdvanced,
    /// An assignee rejected it.
    Rejected,
    /// An assignee closed it.
    Closed,
    /// The applicant closed it.
    Withdrawn,
    /// Its time to live ran out.
    Expired,
    /// Someone wrote in its thread.
    Commented,
    /// An approver changed the `apply_asset` request (`diff` says how).
    Edited,
    /// The grant made from it was revoked (`comment` says why): by someone, or by Tollgate
    /// when its holder was deactivated or left the grant's org.
    GrantRevoked,
    /// The assignees who had not answered were reminded (a level's timer; `comment` names
    /// them).
    Reminded,
    /// More approvers were added to the level (a level's timer; `comment` names them).
    Escalated,
    /// Someone away named a delegate, who is now asked in their place (`comment` says who
    /// for whom and until when; `level` is the first level concerned).
    Delegated,
}

named_enum!(EventKind, "event kind", {
    Opened => "opened",
    Approved => "approved",
    LevelAdvanced => "level_advanced",
    Rejected => "rejected",
    Closed => "closed",
    Withdrawn => "withdrawn",
    Expired => "expired",
    Commented => "commented",
    Edited => "edited",
    GrantRevoked => "grant_revoked",
    Reminded => "reminded",
    Escalated => "escalated",
    Delegated => "delegated",
});

/// One entry of a ticket's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// What happened.
    pub kind: EventKind,
    /// Who did it (`None` for the system, e.g. expiry).
    pub actor: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The 1-based level concerned, if any.
    pub level: Option<u8>,
    /// A comment or thread message.
    pub comment: Option<String>,
    /// For `edited`: the change to the request.
    pub diff: Option<RequestDiff>,
    /// For a decision at a level that asks for a fresh second factor: how it was given.
    #[serde(default)]
    pub step_up: Option<StepUp>,
    /// For a decision by a delegate: the person they decided for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<UserId>,
}

/// How a decision that asked for a fresh second factor got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepUp {
    /// A code of the authenticator app, given with the decision.
    Totp,
    /// A recovery code, given with the decision.
    RecoveryCode,
    /// A code given in the same session within the window (a setting, 5 minutes by default).
    Session,
    /// An API token made "for approvals" with a second factor when it was created.
    Token,
    /// A passkey or security key (WebAuthn), given with the decision.
    Passkey,
}

named_enum!(StepUp, "step-up method", {
    Totp => "totp",
    RecoveryCode => "recovery_code",
    Session => "session",
    Token => "token",
    Passkey => "passkey",
});

/// Checks the second factor a decision at the ticket's current level needs: `None` when the
/// level does not ask for one; how it was given otherwise, or `StepUpRequired` when it was not.
pub fn check_step_up(ticket: &Ticket, given: Option<StepUp>) -> Result<Option<StepUp>, RuleError> {
    if !ticket.needs_step_up() {
        return Ok(None);
    }
    given.map(Some).ok_or(RuleError::StepUpRequired)
}

/// True when a second factor given at `at` is still fresh at `now` for a window of
/// `minutes` (0: never; each decision asks).
pub fn step_up_fresh(at: Option<DateTime<Utc>>, now: DateTime<Utc>, minutes: u32) -> bool {
    at.is_some_and(|at| at <= now && now - at < chrono::Duration::minutes(i64::from(minutes)))
}

impl TicketEvent {
    /// An event with no comment and no diff.
    pub fn new(
        kind: EventKind,
        actor: Option<UserId>,
        at: DateTime<Utc>,
        level: Option<u8>,
    ) -> Self {
        Self {
            kind,
            actor,
            at,
            level,
            comment: None,
            diff: None,
            step_up: None,
            on_behalf_of: None,
        }
    }
}

/// The result of a transition: the ticket after it, and the events to append (in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The ticket after the action.
    pub ticket: Ticket,
    /// What to append to the history.
    pub events: Vec<TicketEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in TicketType::ALL {
            assert_eq!(t.as_str().parse::<TicketType>().unwrap(), *t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for s in TicketState::ALL {
            assert_eq!(s.as_str().parse::<TicketState>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for k in EventKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert!("open".parse::<TicketState>().is_err());
    }

    #[test]
    fn only_pending_is_open() {
        for s in TicketState::ALL {
            assert_eq!(s.is_open(), *s == TicketState::Pending);
        }
    }
}
