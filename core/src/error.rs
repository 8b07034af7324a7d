//! What can go wrong when a rule is applied, and how the server reports it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One field of a form (or a path inside it) and why its value is refused.
///
/// `field` uses the names of the JSON the browser sends (`"expiry"`, `"accounts"`,
/// `"levels[1].selector"`; list indexes are 0-based like JSON paths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The JSON name (or path) of the offending field.
    pub field: String,
    /// A sentence a person can act on.
    pub reason: String,
}

impl FieldError {
    /// A field error from anything string-like.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Why a ticket transition was refused.
///
/// The server turns these into HTTP answers with [`RuleError::http_status`] and
/// [`RuleError::code`]; a ticket the actor may not view answers `NotFound` (404), so its
/// existence is not revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RuleError {
    /// The actor may not see the ticket: to them it does not exist.
    #[error("ticket not found")]
    NotFound,
    /// The actor is an assignee, but of another level than the current one.
    #[error("not your turn: the ticket is at another approval level")]
    NotYourTurn,
    /// The actor sees the ticket but may not do this.
    #[error("you may not do this on this ticket")]
    Forbidden,
    /// The ticket is no longer pending; nothing can change it.
    #[error("the ticket is already closed")]
    AlreadyClosed,
    /// The actor already gave their decision on the current level.
    #[error("you already decided on this level")]
    AlreadyDecided,
    /// `expire` was called on a ticket whose time to live has not run out.
    #[error("the ticket has not reached its time to live")]
    NotDue,
    /// A level resolved to nobody, even after falling back to the super admins.
    #[error("no one can approve level {level}")]
    NoApprovers {
        /// 1-based level.
        level: u8,
    },
    /// A level's quorum is more than the people it resolved to for this applicant.
    #[error("level {level} needs {needed} approvals, but only {available} of its approvers can be asked (nobody approves their own request)")]
    QuorumUnreachable {
        /// 1-based level.
        level: u8,
        /// Approvals the level needs.
        needed: usize,
        /// People it resolved to.
        available: usize,
    },
    /// The request changed since the approver looked at it (another approver edited it).
    #[error("the request changed since you saw it (version {seen}); look at it again")]
    Changed {
        /// The version the approver saw.
        seen: String,
    },
    /// The level asks for a fresh second factor and none was given.
    #[error("this approval level asks for a fresh second factor: give a code from your authenticator app")]
    StepUpRequired,
    /// A value is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON name of the field.
        field: String,
        /// Why.
        reason: String,
    },
}

impl RuleError {
    /// The HTTP status the server answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            RuleError::NotFound => 404,
            RuleError::Forbidden | RuleError::StepUpRequired => 403,
            RuleError::NotYourTurn
            | RuleError::AlreadyClosed
            | RuleError::AlreadyDecided
            | RuleError::NotDue
            | RuleError::Changed { .. } => 409,
            RuleError::NoApprovers { .. }
            | RuleError::QuorumUnreachable { .. }
            | RuleError::Invalid { .. } => 422,
        }
    }

    /// A stable machine-readable code, e.g. `"not_your_turn"`.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::NotFound => "not_found",
            RuleError::NotYourTurn => "not_your_turn",
            RuleError::Forbidden => "forbidden",
            RuleError::AlreadyClosed => "already_closed",
            RuleError::AlreadyDecided => "already_decided",
            RuleError::NotDue => "not_due",
            RuleError::Changed { .. } => "changed",
            RuleError::NoApprovers { .. } => "no_approvers",
            RuleError::QuorumUnreachable { .. } => "quorum_unreachable",
            RuleError::StepUpRequired => "step_up_required",
            RuleError::Invalid { .. } => "invalid",
        }
    }

    /// Shorthand for [`RuleError::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        RuleError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<FieldError> for RuleError {
    fn from(e: FieldError) -> Self {
        RuleError::Invalid {
            field: e.field,
            reason: e.reason,
        }
    }
}

/// Several field errors at once (a whole form checked), convertible to the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// The first error as a [`RuleError::Invalid`] (an empty list never happens: the
    /// constructors only build this from at least one error).
    pub fn first(&self) -> RuleError {
        match self.0.first() {
            Some(e) => e.clone().into(),
            None => RuleError::invalid("request", "invalid"),
        }
    }

    /// True when some error is about `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
}

impl From<FieldErrors> for RuleError {
    fn from(e: FieldErrors) -> Self {
        e.first()
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        FieldErrors(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        assert_eq!(RuleError::NotFound.http_status(), 404);
        assert_eq!(RuleError::NotYourTurn.http_status(), 409);
        assert_eq!(RuleError::NotYourTurn.code(), "not_your_turn");
        assert_eq!(RuleError::Forbidden.http_status(), 403);
        assert_eq!(RuleError::AlreadyClosed.http_status(), 409);
        assert_eq!(RuleError::AlreadyClosed.code(), "already_closed");
        assert_eq!(RuleError::invalid("expiry", "x").http_status(), 422);
        assert_eq!(RuleError::NoApprovers { level: 1 }.http_status(), 422);
    }

    #[test]
    fn serializes_with_code() {
        let v = serde_json::to_value(RuleError::invalid("expiry", "after start")).unwrap();
        assert_eq!(v["code"], "invalid");
        assert_eq!(v["field"], "expiry");
    }
}
