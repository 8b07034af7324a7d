//! ACL rules and the first-match decision.
//!
//! Rules are tried in priority order — lower number first, ties broken by rule id — and the
//! first active rule whose every condition matches decides. No match: the caller's default
//! (SPEC: accept). Three kinds of rule:
//!
//! - [`LoginAcl`] (global): users × source IPs × time windows → accept / reject / review.
//!   A user named as a reviewer of a `review` rule is not held by that rule (it is skipped
//!   for them), so reviewers can always sign in to review.
//! - [`LoginAssetAcl`] (per org): users × assets × accounts → accept / reject / review.
//! - [`CommandFilterAcl`] (per org): users × assets × accounts × command groups →
//!   accept / reject / review / warning. A reject, review or warning rule matches when
//!   *some* command of the line is in its groups (or the line is not understood: fail
//!   closed); an **accept** rule only when *every* command of the line is
//!   ([`CommandLine::all_named_by`]), so an accept rule followed by a catch-all reject or
//!   review rule is a real allow-list (see [`crate::acl::command`]).
//!
//! Sizes are bounded: [`MAX_SELECTOR_ITEMS`] ids or name patterns per selector,
//! [`MAX_REVIEWERS`] reviewers, [`MAX_COMMAND_GROUPS_PER_RULE`] command groups per rule whose
//! regular expressions together cost at most
//! [`MAX_REGEX_BYTES`](crate::acl::command::MAX_REGEX_BYTES). The `check` methods say
//! which field is over; a stored command filter rule with too many or too costly groups does
//! not deserialize.

use crate::acl::command::{allows, over_budget, CommandGroup, CommandGroupSpec, CommandLine};
use crate::acl::ip::IpList;
use crate::acl::time::TimeWindows;
use crate::error::{FieldError, FieldErrors};
use crate::ids::{AclId, AssetId, UserId};
use crate::request::check_len;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::net::IpAddr;

/// Most ids, or most name patterns, in one [`Selector`].
pub const MAX_SELECTOR_ITEMS: usize = 1000;
/// Longest name pattern of a [`Selector`], in characters.
pub const MAX_NAME_PATTERN_CHARS: usize = 128;
/// Most reviewers of one rule.
pub const MAX_REVIEWERS: usize = 100;
/// Most command groups in one command filter rule.
pub const MAX_COMMAND_GROUPS_PER_RULE: usize = 20;

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AclAction {
    /// Let it through.
    Accept,
    /// Refuse it.
    Reject,
    /// Hold it and open a confirm ticket for the rule's reviewers.
    Review,
    /// Let it through but record a warning (command filters).
    Warning,
}

/// Who (or which asset / account) a rule is about.
///
/// JSON: `"all"`, `{"ids": [...]}`, or `{"names": ["admin*", "bob"]}` where a name pattern
/// may use `*` for any run of characters and is matched case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Selector {
    /// Everyone / everything.
    All,
    /// These ids.
    Ids(Vec<uuid::Uuid>),
    /// Names matching one of these glob patterns.
    Names(Vec<String>),
}

/// `*`-glob match of a whole name.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

impl Selector {
    /// Refuse more than [`MAX_SELECTOR_ITEMS`] items, or a name pattern longer than
    /// [`MAX_NAME_PATTERN_CHARS`]; the error is on `field` (`users`) or on the pattern
    /// (`users.names[3]`).
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        match self {
            Selector::All => Ok(()),
            Selector::Ids(ids) => check_len(field, ids, MAX_SELECTOR_ITEMS),
            Selector::Names(names) => {
                check_len(field, names, MAX_SELECTOR_ITEMS)?;
                match names
                    .iter()
                    .position(|n| n.chars().count() > MAX_NAME_PATTERN_CHARS)
                {
                    Some(i) => Err(FieldError::new(
                        format!("{field}.names[{i}]"),
                        format!("must be at most {MAX_NAME_PATTERN_CHARS} characters"),
                    )),
                    None => Ok(()),
                }
            }
        }
    }

    /// True when the thing with this id (if it has one) and name is selected.
    pub fn matches(&self, id: Option<uuid::Uuid>, name: &str) -> bool {
        match self {
            Selector::All => true,
            Selector::Ids(ids) => id.is_some_and(|id| ids.contains(&id)),
            Selector::Names(pats) => pats.iter().any(|p| glob_match(p, name)),
        }
    }
}

/// What every rule has: an id, a priority and an on/off switch.
pub trait AclRule {
    /// The rule's id (the tie-breaker).
    fn id(&self) -> AclId;
    /// Lower runs first.
    fn priority(&self) -> i32;
    /// Inactive rules never match.
    fn is_active(&self) -> bool;
}

/// The first active rule, in (priority, id) order, for which `matches` holds.
pub fn first_match<R: AclRule>(rules: &[R], matches: impl Fn(&R) -> bool) -> Option<&R> {
    let mut order: Vec<&R> = rules.iter().filter(|r| r.is_active()).collect();
    order.sort_by_key(|r| (r.priority(), r.id()));
    order.into_iter().find(|r| matches(r))
}

/// The outcome of an ACL check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclDecision {
    /// What to do.
    pub action: AclAction,
    /// The rule that decided; `None` when no rule matched (then `action` is accept).
    pub rule_id: Option<AclId>,
    /// For `review`: who reviews (the rule's reviewers minus the user).
    pub reviewers: Vec<UserId>,
    /// For `review`: the review's decision needs a fresh second factor.
    #[serde(default)]
    pub step_up: bool,
    /// For `review`: an approval of the same user, asset and account (and command line)
    /// within this many minutes answers instead of a new review.
    #[serde(default)]
    pub reuse_minutes: Option<u16>,
}

impl AclDecision {
    /// No rule matched: accept.
    pub fn no_match() -> Self {
        Self {
            action: AclAction::Accept,
            rule_id: None,
            reviewers: vec![],
            step_up: false,
            reuse_minutes: None,
        }
    }

    fn from_rule(
        id: AclId,
        action: AclAction,
        reviewers: &[UserId],
        step_up: bool,
        user: UserId,
    ) -> Self {
        let review = action == AclAction::Review;
        let reviewers = if review {
            reviewers.iter().copied().filter(|r| *r != user).collect()
        } else {
            vec![]
        };
        Self {
            action,
            rule_id: Some(id),
            reviewers,
            step_up: review && step_up,
            reuse_minutes: None,
        }
    }

    /// For `review`, the rule's reuse window (see [`MAX_REUSE_MINUTES`]).
    fn reusing(mut self, minutes: Option<u16>) -> Self {
        self.reuse_minutes = minutes.filter(|_| self.action == AclAction::Review);
        self
    }
}

/// The longest time an approved review may answer for the same question again (a day).
pub const MAX_REUSE_MINUTES: u16 = 1440;

/// Refuse a reuse window outside 1..=[`MAX_REUSE_MINUTES`] minutes (field `reuse_minutes`).
pub fn check_reuse_minutes(minutes: Option<u16>) -> Result<(), FieldError> {
    match minutes {
        Some(m) if m == 0 || m > MAX_REUSE_MINUTES => Err(FieldError::new(
            "reuse_minutes",
            format!("must be 1 to {MAX_REUSE_MINUTES} minutes"),
        )),
        _ => Ok(()),
    }
}

/// Refuse more than [`MAX_REVIEWERS`] reviewers (field `reviewers`).
pub fn check_reviewers(reviewers: &[UserId]) -> Result<(), FieldError> {
    check_len("reviewers", reviewers, MAX_REVIEWERS)
}

/// Check and compile a rule's command groups: at most [`MAX_COMMAND_GROUPS_PER_RULE`]
/// (field `command_groups`), each valid (`command_groups[2].patterns[0]`), and all their
/// regular expressions together within
/// [`MAX_REGEX_BYTES`](crate::acl::command::MAX_REGEX_BYTES) (the entry that goes over is
/// named, reason "too complex: …").
pub fn parse_command_groups(specs: Vec<CommandGroupSpec>) -> Result<Vec<CommandGroup>, FieldError> {
    check_len("command_groups", &specs, MAX_COMMAND_GROUPS_PER_RULE)?;
    let mut total = 0usize;
    let mut groups = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let g = CommandGroup::parse(spec)
            .map_err(|e| FieldError::new(format!("command_groups[{i}].{}", e.field), e.reason))?;
        if let Some(entry) = g.entry_over_budget(total) {
            return Err(over_budget(
                format!("command_groups[{i}].patterns[{entry}]"),
                "rule",
            ));
        }
        total += g.regex_bytes();
        groups.push(g);
    }
    Ok(groups)
}

fn command_groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CommandGroup>, D::Error> {
    let specs = Vec::<CommandGroupSpec>::deserialize(d)?;
    parse_command_groups(specs).map_err(serde::de::Error::custom)
}

/// Collect the errors of several checks.
fn collect(checks: impl IntoIterator<Item = Result<(), FieldError>>) -> Result<(), FieldErrors> {
    let errors: Vec<FieldError> = checks.into_iter().filter_map(Result::err).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FieldErrors(errors))
    }
}

macro_rules! acl_rule {
    ($ty:ty) => {
        impl AclRule for $ty {
            fn id(&self) -> AclId {
                self.id
            }
            fn priority(&self) -> i32 {
                self.priority
            }
            fn is_active(&self) -> bool {
                self.active
            }
        }
    };
}

/// A login ACL rule (global).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginAcl {
    /// Its id.
    pub id: AclId,
    /// A name for lists.
    pub name: String,
    /// Lower runs first.
    pub priority: i32,
    /// Off rules are skipped.
    pub active: bool,
    /// Who.
    pub users: Selector,
    /// From where (empty list: from nowhere; use `*`).
    pub ips: IpList,
    /// When (empty: always).
    #[serde(default)]
    pub time: TimeWindows,
    /// What to do.
    pub action: AclAction,
    /// Who reviews, for `review`.
    #[serde(default)]
    pub reviewers: Vec<UserId>,
    /// For `review`: deciding the review needs a fresh second factor (as a flow level may ask).
    #[serde(default)]
    pub step_up: bool,
}
acl_rule!(LoginAcl);

/// A sign-in attempt to Tollgate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    /// Who.
    pub user_id: UserId,
    /// Their username.
    pub username: String,
    /// From where.
    pub ip: IpAddr,
    /// When.
    pub at: DateTime<Utc>,
}

impl LoginAcl {
    /// Check the sizes of its lists (users, reviewers).
    pub fn check(&self) -> Result<(), FieldErrors> {
        collect([self.users.check("users"), check_reviewers(&self.reviewers)])
    }

    /// True when every condition holds for `a`, and `a`'s user is not one of this review
    /// rule's reviewers.
    pub fn matches(&self, a: &LoginAttempt) -> bool {
        !(self.action == AclAction::Review && self.reviewers.contains(&a.user_id))
            && self.users.matches(Some(a.user_id), &a.username)
            && self.ips.matches(a.ip)
            && self.time.matches(a.at)
    }
}

/// Decide a sign-in: the first matching login rule, or accept.
pub fn decide_login(rules: &[LoginAcl], attempt: &LoginAttempt) -> AclDecision {
    first_match(rules, |r| r.matches(attempt)).map_or_else(AclDecision::no_match, |r| {
        AclDecision::from_rule(r.id, r.action, &r.reviewers, r.step_up, attempt.user_id)
    })
}

/// A connection to an asset, as a gateway asks about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetAccess {
    /// Who.
    pub user_id: UserId,
    /// Their username.
    pub username: String,
    /// Which asset.
    pub asset_id: AssetId,
    /// Its name.
    pub asset_name: String,
    /// The account name used.
    pub account: String,
}

/// A login-asset ACL rule (per org).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginAssetAcl {
    /// Its id.
    pub id: AclId,
    /// A name for lists.
    pub name: String,
    /// Lower runs first.
    pub priority: i32,
    /// Off rules are skipped.
    pub active: bool,
    /// Who.
    pub users: Selector,
    /// Which assets (ids or names).
    pub assets: Selector,
    /// Which accounts (`all` or name patterns).
    pub accounts: Selector,
    /// What to do.
    pub action: AclAction,
    /// Who reviews, for `review`.
    #[serde(default)]
    pub reviewers: Vec<UserId>,
    /// For `review`: deciding the review needs a fresh second factor (as a flow level may ask).
    #[serde(default)]
    pub step_up: bool,
    /// For `review`: an approval of the same user, asset and account within this many
    /// minutes answers the gateway at once (1 to [`MAX_REUSE_MINUTES`]; none: always ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_minutes: Option<u16>,
}
acl_rule!(LoginAssetAcl);

impl LoginAssetAcl {
    /// Check the sizes of its lists (users, assets, accounts, reviewers).
    pub fn check(&self) -> Result<(), FieldErrors> {
        collect([
            self.users.check("users"),
            self.assets.check("assets"),
            self.accounts.check("accounts"),
            check_reviewers(&self.reviewers),
            check_reuse_minutes(self.reuse_minutes),
        ])
    }

    /// True when user, asset and account are all selected.
    pub fn matches(&self, a: &AssetAccess) -> bool {
        self.users.matches(Some(a.user_id), &a.username)
            && self.assets.matches(Some(a.asset_id), &a.asset_name)
            && self.accounts.matches(None, &a.account)
    }
}

/// Decide a connection: the first matching login-asset rule, or accept.
pub fn decide_login_asset(rules: &[LoginAssetAcl], access: &AssetAccess) -> AclDecision {
    first_match(rules, |r| r.matches(access)).map_or_else(AclDecision::no_match, |r| {
        AclDecision::from_rule(r.id, r.action, &r.reviewers, r.step_up, access.user_id)
            .reusing(r.reuse_minutes)
    })
}

/// A command filter ACL rule (per org).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandFilterAcl {
    /// Its id.
    pub id: AclId,
    /// A name for lists.
    pub name: String,
    /// Lower runs first.
    pub priority: i32,
    /// Off rules are skipped.
    pub active: bool,
    /// Who.
    pub users: Selector,
    /// Which assets.
    pub assets: Selector,
    /// Which accounts.
    pub accounts: Selector,
    /// The command groups (at most [`MAX_COMMAND_GROUPS_PER_RULE`], checked when read from
    /// JSON). A reject / review / warning rule matches when any group matches; an accept
    /// rule when every command of the line is named by its groups.
    #[serde(deserialize_with = "command_groups")]
    pub command_groups: Vec<CommandGroup>,
    /// What to do.
    pub action: AclAction,
    /// Who reviews, for `review`.
    #[serde(default)]
    pub reviewers: Vec<UserId>,
    /// For `review`: deciding the review needs a fresh second factor (as a flow level may ask).
    #[serde(default)]
    pub step_up: bool,
    /// For `review`: an approval of the same user, asset, account and command line within
    /// this many minutes answers the gateway at once (1 to [`MAX_REUSE_MINUTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_minutes: Option<u16>,
}
acl_rule!(CommandFilterAcl);

impl CommandFilterAcl {
    /// Check the sizes of its lists (users, assets, accounts, reviewers, command groups and
    /// their regular expressions' cost).
    pub fn check(&self) -> Result<(), FieldErrors> {
        let specs = self
            .command_groups
            .iter()
            .map(|g| g.spec().clone())
            .collect();
        collect([
            self.users.check("users"),
            self.assets.check("assets"),
            self.accounts.check("accounts"),
            check_reviewers(&self.reviewers),
            check_reuse_minutes(self.reuse_minutes),
            parse_command_groups(specs).map(drop),
        ])
    }

    /// True when user, asset and account are selected and the command line matches: for
    /// an accept rule, every command of the line is named by its groups (or a Regex group
    /// matches); otherwise some group matches.
    pub fn matches(&self, a: &AssetAccess, command_line: &str) -> bool {
        self.matches_parsed(a, &CommandLine::parse(command_line))
    }

    /// [`matches`](Self::matches) with the line already read.
    pub fn matches_parsed(&self, a: &AssetAccess, line: &CommandLine) -> bool {
        self.users.matches(Some(a.user_id), &a.username)
            && self.assets.matches(Some(a.asset_id), &a.asset_name)
            && self.accounts.matches(None, &a.account)
            && if self.action == AclAction::Accept {
                allows(&self.command_groups, line)
            } else {
                self.command_groups.iter().any(|g| g.matches_parsed(line))
            }
    }
}

/// Decide a command: the first matching command filter rule, or accept.
pub fn decide_command(
    rules: &[CommandFilterAcl],
    access: &AssetAccess,
    command_line: &str,
) -> AclDecision {
    let line = CommandLine::parse(command_line);
    first_match(rules, |r| r.matches_parsed(access, &line)).map_or_else(
        AclDecision::no_match,
        |r| {
            AclDecision::from_rule(r.id, r.action, &r.reviewers, r.step_up, access.user_id)
                .reusing(r.reuse_minutes)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::command::{CommandGroupSpec, CommandKind};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn login_rule(
        n: u128,
        priority: i32,
        users: Selector,
        ips: &str,
        action: AclAction,
    ) -> LoginAcl {
        LoginAcl {
            id: id(n),
            name: format!("rule {n}"),
            priority,
            active: true,
            users,
            ips: IpList::parse_text(ips).unwrap(),
            time: TimeWindows::always(),
            action,
            reviewers: vec![id(900), id(901)],
            step_up: false,
        }
    }

    fn attempt(user: u128, username: &str, ip: &str) -> LoginAttempt {
        LoginAttempt {
            user_id: id(user),
            username: username.into(),
            ip: ip.parse().unwrap(),
            at: Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("admin*", "admin1"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxcyyb"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("bob", "bob"));
        assert!(!glob_match("bob", "bobby"));
    }

    #[test]
    fn no_rule_is_accept() {
        let d = decide_login(&[], &attempt(1, "alice", "10.0.0.1"));
        assert_eq!(d, AclDecision::no_match());
    }

    #[test]
    fn lower_priority_number_wins_then_id() {
        let rules = vec![
            login_rule(3, 50, Selector::All, "*", AclAction::Accept),
            login_rule(2, 10, Selector::All, "10.0.0.0/8", AclAction::Reject),
            login_rule(1, 10, Selector::All, "10.0.0.0/8", AclAction::Review),
        ];
        let d = decide_login(&rules, &attempt(1, "alice", "10.1.1.1"));
        assert_eq!(d.rule_id, Some(id(1)));
        assert_eq!(d.action, AclAction::Review);
        assert_eq!(d.reviewers, vec![id(900), id(901)]);
        let d = decide_login(&rules, &attempt(1, "alice", "192.168.0.1"));
        assert_eq!((d.rule_id, d.action), (Some(id(3)), AclAction::Accept));
    }

    #[test]
    fn inactive_rules_are_skipped() {
        let mut r = login_rule(1, 1, Selector::All, "*", AclAction::Reject);
        r.active = false;
        assert_eq!(
            decide_login(&[r], &attempt(1, "a", "1.1.1.1")),
            AclDecision::no_match()
        );
    }

    #[test]
    fn reviewer_is_not_held_by_own_review_rule() {
        let rules = vec![login_rule(1, 1, Selector::All, "*", AclAction::Review)];
        let d = decide_login(&rules, &attempt(900, "reviewer", "10.0.0.1"));
        assert_eq!(d, AclDecision::no_match());
        // A reject rule still applies to them.
        let rules = vec![login_rule(1, 1, Selector::All, "*", AclAction::Reject)];
        assert_eq!(
            decide_login(&rules, &attempt(900, "r", "10.0.0.1")).action,
            AclAction::Reject
        );
    }

    #[test]
    fn user_selectors_and_time() {
        let mut r = login_rule(
            1,
            1,
            Selector::Names(vec!["ops-*".into()]),
            "*",
            AclAction::Reject,
        );
        assert!(r.matches(&attempt(1, "ops-bob", "1.1.1.1")));
        assert!(!r.matches(&attempt(1, "dev-bob", "1.1.1.1")));
        r.users = Selector::Ids(vec![id(7)]);
        assert!(r.matches(&attempt(7, "x", "1.1.1.1")));
        assert!(!r.matches(&attempt(8, "x", "1.1.1.1")));
        r.time = TimeWindows::parse("UTC", &[(chrono::Weekday::Fri, vec!["00:00-09:00"])]).unwrap();
        // Attempts are on Friday 10:00 UTC.
        assert!(!r.matches(&attempt(7, "x", "1.1.1.1")));
    }

    fn access(account: &str) -> AssetAccess {
        AssetAccess {
            user_id: id(1),
            username: "alice".into(),
            asset_id: id(50),
            asset_name: "db-prod-1".into(),
            account: account.into(),
        }
    }

    #[test]
    fn login_asset_rules() {
        let rule = LoginAssetAcl {
            id: id(1),
            name: "prod root".into(),
            priority: 1,
            active: true,
            users: Selector::All,
            assets: Selector::Names(vec!["db-prod-*".into()]),
            accounts: Selector::Names(vec!["root".into()]),
            action: AclAction::Review,
            reviewers: vec![id(1), id(2)],
            step_up: false,
            reuse_minutes: None,
        };
        let d = decide_login_asset(std::slice::from_ref(&rule), &access("root"));
        assert_eq!(d.action, AclAction::Review);
        assert_eq!(d.reviewers, vec![id(2)], "the user never reviews themself");
        assert_eq!(
            decide_login_asset(&[rule], &access("app")),
            AclDecision::no_match()
        );
    }

    #[test]
    fn a_review_rule_may_ask_for_a_fresh_second_factor_and_only_a_review_carries_it() {
        let mut rule = LoginAssetAcl {
            id: id(1),
            name: "prod root".into(),
            priority: 1,
            active: true,
            users: Selector::All,
            assets: Selector::All,
            accounts: Selector::Names(vec!["root".into()]),
            action: AclAction::Review,
            reviewers: vec![id(2)],
            step_up: true,
            reuse_minutes: None,
        };
        let d = decide_login_asset(std::slice::from_ref(&rule), &access("root"));
        assert!(d.step_up);
        rule.action = AclAction::Reject;
        let d = decide_login_asset(std::slice::from_ref(&rule), &access("root"));
        assert!(!d.step_up, "nothing to decide on a refusal");
        // Rules stored before the field existed read as not asking.
        let mut stored = serde_json::to_value(&rule).unwrap();
        stored.as_object_mut().unwrap().remove("step_up");
        let read: LoginAssetAcl = serde_json::from_value(stored).unwrap();
        assert!(!read.step_up);
    }

    #[test]
    fn a_review_rule_may_reuse_an_approval_for_some_minutes_and_only_a_review_carries_it() {
        let mut rule = LoginAssetAcl {
            id: id(1),
            name: "prod root".into(),
            priority: 1,
            active: true,
            users: Selector::All,
            assets: Selector::All,
            accounts: Selector::All,
            action: AclAction::Review,
            reviewers: vec![id(2)],
            step_up: false,
            reuse_minutes: Some(30),
        };
        assert!(rule.check().is_ok());
        let d = decide_login_asset(std::slice::from_ref(&rule), &access("root"));
        assert_eq!(d.reuse_minutes, Some(30));
        rule.action = AclAction::Accept;
        let d = decide_login_asset(std::slice::from_ref(&rule), &access("root"));
        assert_eq!(d.reuse_minutes, None, "nothing to reuse but a review");
        for bad in [0, MAX_REUSE_MINUTES + 1] {
            rule.reuse_minutes = Some(bad);
            assert!(rule.check().unwrap_err().has("reuse_minutes"), "{bad}");
        }
    }

    #[test]
    fn command_rules() {
        let group = CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["rm".into(), "shutdown".into()],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .unwrap();
        let rules = vec![
            CommandFilterAcl {
                id: id(2),
                name: "warn all".into(),
                priority: 90,
                active: true,
                users: Selector::All,
                assets: Selector::All,
                accounts: Selector::All,
                command_groups: vec![group.clone()],
                action: AclAction::Warning,
                reviewers: vec![],
                step_up: false,
                reuse_minutes: None,
            },
            CommandFilterAcl {
                id: id(1),
                name: "review root".into(),
                priority: 10,
                active: true,
                users: Selector::All,
                assets: Selector::Ids(vec![id(50)]),
                accounts: Selector::Names(vec!["root".into()]),
                command_groups: vec![group],
                action: AclAction::Review,
                reviewers: vec![id(3)],
                step_up: false,
                reuse_minutes: None,
            },
        ];
        let d = decide_command(&rules, &access("root"), "cd /; rm -rf x");
        assert_eq!((d.action, d.rule_id), (AclAction::Review, Some(id(1))));
        let d = decide_command(&rules, &access("app"), "rm x");
        assert_eq!((d.action, d.rule_id), (AclAction::Warning, Some(id(2))));
        assert_eq!(
            decide_command(&rules, &access("root"), "rmdir x"),
            AclDecision::no_match()
        );
    }

    fn command_rule(
        n: u128,
        priority: i32,
        action: AclAction,
        group: CommandGroup,
    ) -> CommandFilterAcl {
        CommandFilterAcl {
            id: id(n),
            name: format!("rule {n}"),
            priority,
            active: true,
            users: Selector::All,
            assets: Selector::All,
            accounts: Selector::All,
            command_groups: vec![group],
            action,
            reviewers: vec![id(3)],
            step_up: false,
            reuse_minutes: None,
        }
    }

    fn spec(kind: CommandKind, patterns: &[&str]) -> CommandGroupSpec {
        CommandGroupSpec {
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
            kind,
            ignore_case: false,
        }
    }

    /// An accept rule before a catch-all is an allow-list: one allowed command does not
    /// carry others through.
    #[test]
    fn accept_rules_are_allow_lists() {
        let allowed = CommandGroup::parse(spec(CommandKind::Command, &["ls", "cat"])).unwrap();
        let anything = CommandGroup::parse(spec(CommandKind::Regex, &["."])).unwrap();
        let rules = vec![
            command_rule(1, 1, AclAction::Accept, allowed),
            command_rule(2, 2, AclAction::Review, anything),
        ];
        let action = |line: &str| decide_command(&rules, &access("root"), line).action;
        assert_eq!(action("ls -l"), AclAction::Accept);
        assert_eq!(action("ls | cat"), AclAction::Accept);
        for line in [
            "ls; rm -rf /",
            "cat $(rm x)",
            "ls && bash -c 'rm x'",
            "ls 'x",
            "$x",
        ] {
            assert_eq!(action(line), AclAction::Review, "{line:?}");
        }
    }

    #[test]
    fn command_groups_per_rule_are_capped() {
        let specs = vec![spec(CommandKind::Command, &["rm"]); MAX_COMMAND_GROUPS_PER_RULE + 1];
        let e = parse_command_groups(specs.clone()).unwrap_err();
        assert_eq!(e.field, "command_groups");
        assert_eq!(e.reason, "at most 20 items (got 21)");
        assert!(parse_command_groups(specs[1..].to_vec()).is_ok());
        // Stored rules are checked too.
        let mut v = serde_json::to_value(command_rule(
            1,
            1,
            AclAction::Reject,
            CommandGroup::parse(spec(CommandKind::Command, &["rm"])).unwrap(),
        ))
        .unwrap();
        assert!(serde_json::from_value::<CommandFilterAcl>(v.clone()).is_ok());
        v["command_groups"] = serde_json::to_value(&specs).unwrap();
        let e = serde_json::from_value::<CommandFilterAcl>(v).unwrap_err();
        assert!(e.to_string().contains("at most 20 items"), "{e}");
    }

    #[test]
    fn regex_cost_is_bounded_per_rule() {
        let one = CommandGroup::parse(spec(CommandKind::Regex, &[r"\w\w"])).unwrap();
        // Each group fits the budget alone; two do not.
        let per_group = crate::acl::command::MAX_REGEX_BYTES / one.regex_bytes();
        let group = spec(CommandKind::Regex, &vec![r"\w\w"; per_group]);
        assert!(parse_command_groups(vec![group.clone()]).is_ok());
        let e = parse_command_groups(vec![group.clone(), group]).unwrap_err();
        assert!(
            e.field.starts_with("command_groups[1].patterns["),
            "{}",
            e.field
        );
        assert!(e.reason.starts_with("too complex"), "{}", e.reason);
        assert!(e.reason.contains("rule"), "{}", e.reason);
        // A bad entry is named with its group.
        let e = parse_command_groups(vec![
            spec(CommandKind::Command, &["rm"]),
            spec(CommandKind::Regex, &["ok", "(bad"]),
        ])
        .unwrap_err();
        assert_eq!(e.field, "command_groups[1].patterns[1]");
    }

    #[test]
    fn selectors_and_reviewers_are_capped() {
        let ids: Vec<Uuid> = (0..=MAX_SELECTOR_ITEMS as u128).map(id).collect();
        let e = Selector::Ids(ids.clone()).check("users").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("users", "at most 1000 items (got 1001)")
        );
        assert!(Selector::Ids(ids[1..].to_vec()).check("users").is_ok());
        let e = Selector::Names(vec!["a".into(), "x".repeat(129)])
            .check("accounts")
            .unwrap_err();
        assert_eq!(e.field, "accounts.names[1]");
        assert!(Selector::Names(vec!["x".repeat(128)])
            .check("accounts")
            .is_ok());
        assert!(Selector::All.check("users").is_ok());
        let e = check_reviewers(&ids[..=MAX_REVIEWERS]).unwrap_err();
        assert_eq!(e.reason, "at most 100 items (got 101)");
        let mut r = login_rule(1, 1, Selector::Ids(ids.clone()), "*", AclAction::Review);
        r.reviewers = ids.clone();
        let e = r.check().unwrap_err();
        assert!(e.has("users") && e.has("reviewers"), "{e:?}");
        let mut c = command_rule(
            1,
            1,
            AclAction::Reject,
            CommandGroup::parse(spec(CommandKind::Command, &["rm"])).unwrap(),
        );
        assert!(c.check().is_ok());
        c.assets = Selector::Ids(ids);
        assert!(c.check().unwrap_err().has("assets"));
    }
}
