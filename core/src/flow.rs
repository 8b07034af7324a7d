//! Approval flows: the levels a ticket goes through and who is asked at each.
//!
//! Assignees are resolved once, when a ticket opens (see [`Flow::resolve`]): the selector's
//! active users minus the applicant; a level left empty falls back to the active super
//! admins other than the applicant; still empty, opening fails. Approvers are not limited
//! to the ticket's org.

use crate::directory::Directory;
use crate::error::{FieldError, FieldErrors, RuleError};
use crate::ids::{OrgId, UserId, UserRef};
use crate::request::{check_len, ApplyAssetRequest};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Fewest levels a flow may have.
pub const MIN_LEVELS: usize = 1;
/// Most levels a flow may have.
pub const MAX_LEVELS: usize = 5;
/// Most users one level may name.
pub const MAX_LEVEL_USERS: usize = 100;
/// Most CC users of a flow.
pub const MAX_CC: usize = 100;

/// How many approvals a level needs: `"any"`, `"all"`, or `{"at_least": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// One approval is enough.
    Any,
    /// Every assignee must approve.
    All,
    /// At least N of the assignees must approve (a quorum; 1 ≤ N ≤ the assignees resolved
    /// when the ticket opens).
    AtLeast(u8),
}

impl Rule {
    /// How many approvals a level of `assignees` people needs under this rule.
    pub fn needed(self, assignees: usize) -> usize {
        match self {
            Rule::Any => 1,
            Rule::All => assignees,
            Rule::AtLeast(n) => usize::from(n),
        }
    }

    /// In words, for pages and messages: "any one approves", "all must approve", "at least 2
    /// must approve".
    pub fn describe(self) -> String {
        match self {
            Rule::Any => "any one approves".into(),
            Rule::All => "all must approve".into(),
            Rule::AtLeast(n) => format!("at least {n} must approve"),
        }
    }
}

/// Who is asked at a level: a union of named users, the super admins, and the org admins of
/// the ticket's org.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproverSelector {
    /// Specific users (of any org).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub users: Vec<UserId>,
    /// Everyone with system role super_admin.
    #[serde(default)]
    pub super_admins: bool,
    /// The org admins of the ticket's org.
    #[serde(default)]
    pub org_admins: bool,
}

impl ApproverSelector {
    /// The super admins.
    pub fn super_admins() -> Self {
        Self {
            super_admins: true,
            ..Self::default()
        }
    }

    /// Some named users.
    pub fn users(users: Vec<UserId>) -> Self {
        Self {
            users,
            ..Self::default()
        }
    }

    /// True when it names nobody at all.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && !self.super_admins && !self.org_admins
    }

    /// The active users it names today for a ticket of `org`, in order (named users, super
    /// admins, org admins), each once. The applicant is not removed here.
    pub fn active_users(&self, dir: &Directory, org: Option<OrgId>) -> Vec<UserRef> {
        let mut out: Vec<UserRef> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut push = |id: UserId, username: &str| {
            if seen.insert(id) {
                out.push(UserRef::new(id, username));
            }
        };
        for id in &self.users {
            if let Some(u) = dir.active(*id) {
                push(u.id, &u.username);
            }
        }
        if self.super_admins {
            for u in dir.active_super_admins() {
                push(u.id, &u.username);
            }
        }
        if let (true, Some(org)) = (self.org_admins, org) {
            for u in dir.active_org_admins(org) {
                push(u.id, &u.username);
            }
        }
        out
    }
}

/// One level of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Level {
    /// Who is asked.
    pub selector: ApproverSelector,
    /// How many must approve.
    pub rule: Rule,
    /// Approving or rejecting at this level asks for a fresh second factor (step-up).
    #[serde(default)]
    pub step_up: bool,
    /// Reminders, escalation and a timed end.
    #[serde(default)]
    pub timers: crate::timers::Timers,
    /// Nobody may stand in for this level's people while they are away (see
    /// [`crate::delegation`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_delegation: bool,
}

/// Longest reason a flow may ask for, in characters.
pub const MAX_REASON_MIN: u16 = 1000;
/// Longest period a flow may allow, in days (ten years).
pub const MAX_PERIOD_DAYS: u16 = 3650;
/// Furthest ahead a flow may let a request start, in days.
pub const MAX_START_WITHIN_DAYS: u16 = 365;

/// What a flow asks of requests and of rejections. Every limit is off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// Applying needs a reason (the request's comment) of at least this many characters; 0:
    /// none needed.
    #[serde(default)]
    pub apply_reason_min: u16,
    /// Rejecting needs a reason (the rejection's comment) of at least this many characters;
    /// 0: none needed.
    #[serde(default)]
    pub reject_reason_min: u16,
    /// The longest period a request may ask for (expiry − start), in days. Approvers only
    /// narrow a request, so they cannot go beyond it either.
    #[serde(default)]
    pub max_days: Option<u16>,
    /// How far ahead a request may start, in days from the moment it is opened.
    #[serde(default)]
    pub start_within_days: Option<u16>,
}

/// A reason of at least `min` characters (after trimming) in `field`; `min` 0 asks for none.
pub fn check_reason(field: &str, min: u16, text: Option<&str>) -> Result<(), RuleError> {
    let given = text.map(str::trim).unwrap_or("").chars().count();
    if given < usize::from(min) {
        return Err(RuleError::invalid(
            field,
            if given == 0 {
                format!("a reason is required (at least {min} characters)")
            } else {
                format!("the reason is too short: at least {min} characters, {given} given")
            },
        ));
    }
    Ok(())
}

impl Limits {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        for (field, v) in [
            ("limits.apply_reason_min", self.apply_reason_min),
            ("limits.reject_reason_min", self.reject_reason_min),
        ] {
            if v > MAX_REASON_MIN {
                errors.push(FieldError::new(
                    field,
                    format!("at most {MAX_REASON_MIN} characters"),
                ));
            }
        }
        if let Some(d) = self.max_days {
            if d == 0 || d > MAX_PERIOD_DAYS {
                errors.push(FieldError::new(
                    "limits.max_days",
                    format!("1 to {MAX_PERIOD_DAYS} days"),
                ));
            }
        }
        if self
            .start_within_days
            .is_some_and(|d| d > MAX_START_WITHIN_DAYS)
        {
            errors.push(FieldError::new(
                "limits.start_within_days",
                format!("0 to {MAX_START_WITHIN_DAYS} days"),
            ));
        }
    }

    /// A request opened `now` with `reason` under these limits: its reason (field `comment`),
    /// its period (`expiry`) and its start (`start`). Every failing field is named.
    pub fn check_request(
        &self,
        request: &ApplyAssetRequest,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), FieldErrors> {
        let mut errors = Vec::new();
        if let Err(RuleError::Invalid { field, reason }) =
            check_reason("comment", self.apply_reason_min, Some(reason))
        {
            errors.push(FieldError::new(field, reason));
        }
        let w = &request.window;
        if let Some(d) = self.max_days {
            if w.expiry() - w.start() > Duration::days(i64::from(d)) {
                errors.push(FieldError::new(
                    "expiry",
                    format!(
                        "this flow allows at most {d} day{} of access",
                        if d == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        if let Some(d) = self.start_within_days {
            if w.start() > now + Duration::days(i64::from(d)) {
                errors.push(FieldError::new(
                    "start",
                    format!(
                        "this flow lets access start at most {d} day{} from now",
                        if d == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// An approval flow: 1 to 5 levels and the CC users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flow {
    /// The levels, in order.
    pub levels: Vec<Level>,
    /// Users told of every change (active ones only, never the applicant).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub cc: Vec<UserId>,
    /// Reasons and limits.
    #[serde(default)]
    pub limits: Limits,
}

impl Flow {
    /// Everyone the flow names: its levels' people, the people their escalations add, and
    /// the CC users (each level's in order; repeats possible).
    pub fn named_users(&self) -> Vec<UserId> {
        let mut out: Vec<UserId> = Vec::new();
        for l in &self.levels {
            out.extend(l.selector.users.iter().copied());
            if let Some(e) = &l.timers.escalate {
                out.extend(e.selector.users.iter().copied());
            }
        }
        out.extend(self.cc.iter().copied());
        out
    }

    /// The flow that exists out of the box for `apply_asset`: one level, the super admins,
    /// rule any.
    pub fn default_apply_asset() -> Self {
        Flow {
            levels: vec![Level {
                selector: ApproverSelector::super_admins(),
                rule: Rule::Any,
                step_up: false,
                timers: Default::default(),
                no_delegation: false,
            }],
            cc: vec![],
            limits: Limits::default(),
        }
    }

    /// Check a flow before saving it for `org` (`None` = global). Errors carry JSON paths
    /// such as `levels[1].selector` (0-based) or `cc[0]`; a level naming more than
    /// [`MAX_LEVEL_USERS`] users (`levels[1].selector.users`) or more than [`MAX_CC`] CC
    /// users (`cc`) is refused before any of them is looked up.
    pub fn validate(&self, dir: &Directory, org: Option<OrgId>) -> Result<(), FieldErrors> {
        let mut errors = Vec::new();
        if self.levels.len() < MIN_LEVELS {
            errors.push(FieldError::new("levels", "a flow needs at least one level"));
        }
        if self.levels.len() > MAX_LEVELS {
            errors.push(FieldError::new(
                "levels",
                format!("a flow has at most {MAX_LEVELS} levels"),
            ));
        }
        for (i, level) in self.levels.iter().enumerate() {
            let sel = &level.selector;
            let path = format!("levels[{i}].selector");
            level.timers.validate(i, &mut errors);
            if let Some(e) = &level.timers.escalate {
                for (j, id) in e.selector.users.iter().enumerate() {
                    if dir.active(*id).is_none() {
                        errors.push(FieldError::new(
                            format!("levels[{i}].timers.escalate.selector.users[{j}]"),
                            "unknown or inactive user",
                        ));
                    }
                }
            }
            if let Rule::AtLeast(n) = level.rule {
                if n == 0 || usize::from(n) > MAX_LEVEL_USERS {
                    errors.push(FieldError::new(
                        format!("levels[{i}].rule"),
                        format!("the number of approvals is 1 to {MAX_LEVEL_USERS}"),
                    ));
                    continue;
                }
            }
            if sel.is_empty() {
                errors.push(FieldError::new(path, "choose at least one approver"));
                continue;
            }
            if let Err(e) = check_len(&format!("{path}.users"), &sel.users, MAX_LEVEL_USERS) {
                errors.push(e);
                continue;
            }
            let mut named_ok = true;
            for (j, id) in sel.users.iter().enumerate() {
                match dir.get(*id) {
                    None => {
                        named_ok = false;
                        errors.push(FieldError::new(
                            format!("{path}.users[{j}]"),
                            "unknown user",
                        ));
                    }
                    Some(u) if !u.active => {
                        named_ok = false;
                        errors.push(FieldError::new(
                            format!("{path}.users[{j}]"),
                            format!("user {} is inactive", u.username),
                        ));
                    }
                    Some(_) => {}
                }
            }
            // A global flow's "org admins" depends on each ticket's org: it cannot be judged
            // empty now.
            let undecidable = sel.org_admins && org.is_none();
            if !named_ok || undecidable {
                continue;
            }
            let active = sel.active_users(dir, org).len();
            if active == 0 {
                errors.push(FieldError::new(path, "names no active user today"));
            } else if let Rule::AtLeast(n) = level.rule {
                // Any of them may be the applicant, who is never asked: one fewer must do.
                let reachable = active - 1;
                if usize::from(n) > reachable {
                    errors.push(FieldError::new(
                        format!("levels[{i}].rule"),
                        format!(
                            "{n} approvals cannot always be reached: the level names {active} active {}, and an applicant among them is not asked (at most {reachable}; or choose \"every approver\")",
                            if active == 1 { "person" } else { "people" }
                        ),
                    ));
                }
            }
        }
        self.limits.validate(&mut errors);
        let cc: &[UserId] = match check_len("cc", &self.cc, MAX_CC) {
            Ok(()) => &self.cc,
            Err(e) => {
                errors.push(e);
                &[]
            }
        };
        for (j, id) in cc.iter().enumerate() {
            match dir.get(*id) {
                None => errors.push(FieldError::new(format!("cc[{j}]"), "unknown user")),
                Some(u) if !u.active => errors.push(FieldError::new(
                    format!("cc[{j}]"),
                    format!("user {} is inactive", u.username),
                )),
                Some(_) => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(FieldErrors(errors))
        }
    }

    /// Who would be asked at each level for a ticket of `org` by `applicant`: the selector's
    /// active users minus the applicant, or if that is empty the active super admins minus
    /// the applicant. A level still empty is [`RuleError::NoApprovers`]; one with fewer people
    /// than its quorum is [`RuleError::QuorumUnreachable`]. Also the flow editor's preview.
    pub fn resolve(
        &self,
        dir: &Directory,
        org: Option<OrgId>,
        applicant: UserId,
    ) -> Result<Vec<Vec<UserRef>>, RuleError> {
        if self.levels.is_empty() || self.levels.len() > MAX_LEVELS {
            return Err(RuleError::invalid(
                "levels",
                format!("a flow has {MIN_LEVELS} to {MAX_LEVELS} levels"),
            ));
        }
        self.levels
            .iter()
            .enumerate()
            .map(|(i, level)| {
                // i < MAX_LEVELS (5), so it fits in a u8.
                let n = (i + 1) as u8;
                let mut users = level.selector.active_users(dir, org);
                users.retain(|u| u.id != applicant);
                if users.is_empty() {
                    users = ApproverSelector::super_admins().active_users(dir, org);
                    users.retain(|u| u.id != applicant);
                }
                if users.is_empty() {
                    Err(RuleError::NoApprovers { level: n })
                } else if level.rule.needed(users.len()) > users.len() {
                    Err(RuleError::QuorumUnreachable {
                        level: n,
                        needed: level.rule.needed(users.len()),
                        available: users.len(),
                    })
                } else {
                    Ok(users)
                }
            })
            .collect()
    }

    /// The CC users to keep on a ticket: active, not the applicant, each once.
    pub fn resolve_cc(&self, dir: &Directory, applicant: UserId) -> Vec<UserRef> {
        let mut sel = ApproverSelector::users(self.cc.clone());
        sel.users.retain(|u| *u != applicant);
        sel.active_users(dir, None)
    }
}
