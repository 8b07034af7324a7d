//! What a ticket asks for, one body per [`TicketType`].
//!
//! Each body is a type that cannot hold an invalid value. The browser sends the raw form
//! ([`ApplyAssetForm`]); [`ApplyAssetForm::parse`] turns it into an [`ApplyAssetRequest`] or
//! says, field by field, what is wrong. Deserializing an `ApplyAssetRequest` runs the same
//! checks, so one stored as JSON comes back valid or not at all.

use crate::action::ActionSet;
use crate::error::{FieldError, FieldErrors};
use crate::ids::{AclId, AssetId, NodeId, UserId};
use crate::ticket::TicketType;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use uuid::Uuid;

/// Longest permission or account name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest command a `command_confirm` ticket holds, in characters.
pub const MAX_COMMAND_CHARS: usize = 4096;
/// Most node ids an `apply_asset` request may list (counted before duplicates are removed).
pub const MAX_NODES: usize = 1000;
/// Most asset ids an `apply_asset` request may list (counted before duplicates are removed).
pub const MAX_ASSETS: usize = 1000;
/// Most account names an `apply_asset` request may list (counted before duplicates are
/// removed).
pub const MAX_ACCOUNTS: usize = 200;
/// Most action names an `apply_asset` request may list (there are only a few actions;
/// duplicates are allowed, so this leaves room).
pub const MAX_ACTIONS: usize = 64;

/// The error for a list longer than `max`, on `field`: "at most 1000 items (got 52000)".
pub fn too_many(field: &str, max: usize, got: usize) -> FieldError {
    FieldError::new(field, format!("at most {max} items (got {got})"))
}

/// `Err` naming `field` when `items` has more than `max` entries.
pub fn check_len<T>(field: &str, items: &[T], max: usize) -> Result<(), FieldError> {
    if items.len() > max {
        Err(too_many(field, max, items.len()))
    } else {
        Ok(())
    }
}

fn check_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(s.to_string())
}

/// The name of an account on an asset: trimmed, 1..=128 characters. `@ALL` means every
/// account of the asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct AccountName(String);

impl AccountName {
    /// The special name meaning every account of an asset.
    pub const ALL: &'static str = "@ALL";

    /// Parse a name (trimmed).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        check_name("accounts", raw).map(AccountName)
    }

    /// The `@ALL` account.
    pub fn all() -> Self {
        AccountName(Self::ALL.to_string())
    }

    /// True for `@ALL`.
    pub fn is_all(&self) -> bool {
        self.0 == Self::ALL
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountName {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AccountName::parse(&s)
    }
}

impl From<AccountName> for String {
    fn from(a: AccountName) -> String {
        a.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a grant will carry: trimmed, 1..=128 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct PermissionName(String);

impl PermissionName {
    /// Parse a name (trimmed).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        check_name("permission_name", raw).map(PermissionName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PermissionName {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PermissionName::parse(&s)
    }
}

impl From<PermissionName> for String {
    fn from(a: PermissionName) -> String {
        a.0
    }
}

/// The raw JSON of a [`ValidityWindow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowForm {
    /// When access begins.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub expiry: DateTime<Utc>,
}

/// A period of validity whose expiry is strictly after its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WindowForm", into = "WindowForm")]
pub struct ValidityWindow {
    start: DateTime<Utc>,
    expiry: DateTime<Utc>,
}

/// The default period of an `apply_asset` request (a setting may change it).
pub const DEFAULT_APPLY_PERIOD_DAYS: i64 = 7;

impl ValidityWindow {
    /// The window `start..expiry`; refused (field `"expiry"`) unless expiry is after start.
    pub fn new(start: DateTime<Utc>, expiry: DateTime<Utc>) -> Result<Self, FieldError> {
        if expiry <= start {
            return Err(FieldError::new("expiry", "must be after the start"));
        }
        Ok(Self { start, expiry })
    }

    /// `now → now + period` (the form's default; `period` must be positive, else one day).
    pub fn starting_at(now: DateTime<Utc>, period: Duration) -> Self {
        let period = if period > Duration::zero() {
            period
        } else {
            Duration::days(1)
        };
        Self {
            start: now,
            expiry: now + period,
        }
    }

    /// When access begins.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// When access ends.
    pub fn expiry(&self) -> DateTime<Utc> {
        self.expiry
    }

    /// True when `at` lies in `start..expiry`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.expiry
    }
}

impl TryFrom<WindowForm> for ValidityWindow {
    type Error = FieldError;
    fn try_from(f: WindowForm) -> Result<Self, Self::Error> {
        ValidityWindow::new(f.start, f.expiry)
    }
}

impl From<ValidityWindow> for WindowForm {
    fn from(w: ValidityWindow) -> Self {
        WindowForm {
            start: w.start,
            expiry: w.expiry,
        }
    }
}

/// Keep the first of each value, in order. O(n log n): a set remembers what was seen.
pub fn dedupe<T: Ord>(items: Vec<T>) -> Vec<T> {
    let keep: Vec<bool> = {
        let mut seen = BTreeSet::new();
        items.iter().map(|i| seen.insert(i)).collect()
    };
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(i, k)| k.then_some(i))
        .collect()
}

/// The raw `apply_asset` form as the browser sends it (and as it is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyAssetForm {
    /// The name the grant will carry.
    pub permission_name: String,
    /// Nodes asked for (may be empty until the last approval).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub nodes: Vec<NodeId>,
    /// Assets asked for (may be empty until the last approval).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub assets: Vec<AssetId>,
    /// Account names (`@ALL` for every account).
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Action names, or `["all"]`.
    #[serde(default)]
    pub actions: Vec<String>,
    /// When access begins.
    pub start: DateTime<Utc>,
    /// When access ends; after `start`.
    pub expiry: DateTime<Utc>,
}

impl ApplyAssetForm {
    /// Check every field; on failure, one error per bad field. Lists longer than
    /// [`MAX_NODES`], [`MAX_ASSETS`], [`MAX_ACCOUNTS`] or [`MAX_ACTIONS`] are refused before
    /// their items are looked at.
    pub fn parse(self) -> Result<ApplyAssetRequest, FieldErrors> {
        let mut errors = Vec::new();
        let permission_name = PermissionName::parse(&self.permission_name)
            .map_err(|e| errors.push(e))
            .ok();
        errors.extend(check_len("nodes", &self.nodes, MAX_NODES).err());
        errors.extend(check_len("assets", &self.assets, MAX_ASSETS).err());
        let mut accounts = Vec::new();
        if let Err(e) = check_len("accounts", &self.accounts, MAX_ACCOUNTS) {
            errors.push(e);
        } else {
            for a in &self.accounts {
                match AccountName::parse(a) {
                    Ok(a) => accounts.push(a),
                    Err(_) => errors.push(FieldError::new(
                        "accounts",
                        format!("{a:?} is not an account name (1 to {MAX_NAME_CHARS} characters)"),
                    )),
                }
            }
        }
        let actions = if let Err(e) = check_len("actions", &self.actions, MAX_ACTIONS) {
            errors.push(e);
            None
        } else {
            match ActionSet::parse(&self.actions) {
                Ok(s) if s.is_empty() => {
                    errors.push(FieldError::new("actions", "choose at least one action"));
                    None
                }
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(FieldError::new("actions", e.to_string()));
                    None
                }
            }
        };
        let window = ValidityWindow::new(self.start, self.expiry)
            .map_err(|e| errors.push(e))
            .ok();
        match (permission_name, actions, window) {
            (Some(permission_name), Some(actions), Some(window)) if errors.is_empty() => {
                Ok(ApplyAssetRequest {
                    permission_name,
                    nodes: dedupe(self.nodes),
                    assets: dedupe(self.assets),
                    accounts: dedupe(accounts),
                    actions,
                    window,
                })
            }
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// A valid `apply_asset` request. JSON shape: that of [`ApplyAssetForm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ApplyAssetForm", into = "ApplyAssetForm")]
pub struct ApplyAssetRequest {
    /// The name the grant will carry.
    pub permission_name: PermissionName,
    /// Nodes, without duplicates.
    pub nodes: Vec<NodeId>,
    /// Assets, without duplicates.
    pub assets: Vec<AssetId>,
    /// Accounts, without duplicates.
    pub accounts: Vec<AccountName>,
    /// Actions (never empty when parsed).
    pub actions: ActionSet,
    /// Start and expiry.
    pub window: ValidityWindow,
}

/// In JSON an [`ApplyAssetRequest`] is its [`ApplyAssetForm`], so its schema is the form's
/// (under the form's name: references to either point at one schema).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ApplyAssetRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ApplyAssetForm as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ApplyAssetRequest {
    fn name() -> std::borrow::Cow<'static, str> {
        <ApplyAssetForm as utoipa::ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ApplyAssetForm as utoipa::ToSchema>::schemas(schemas);
    }
}

impl ApplyAssetRequest {
    /// Back to the raw form.
    pub fn to_form(&self) -> ApplyAssetForm {
        self.clone().into()
    }

    /// Why this request cannot be granted yet, if it can't: a grant needs at least one node
    /// or asset and at least one account (checked at the last level's approval).
    pub fn check_grantable(&self) -> Result<(), FieldError> {
        if self.nodes.is_empty() && self.assets.is_empty() {
            return Err(FieldError::new(
                "assets",
                "choose at least one node or asset before the final approval",
            ));
        }
        if self.accounts.is_empty() {
            return Err(FieldError::new(
                "accounts",
                "choose at least one account before the final approval",
            ));
        }
        Ok(())
    }
}

impl TryFrom<ApplyAssetForm> for ApplyAssetRequest {
    type Error = FieldErrors;
    fn try_from(f: ApplyAssetForm) -> Result<Self, Self::Error> {
        f.parse()
    }
}

impl From<ApplyAssetRequest> for ApplyAssetForm {
    fn from(r: ApplyAssetRequest) -> Self {
        ApplyAssetForm {
            permission_name: r.permission_name.into(),
            nodes: r.nodes,
            assets: r.assets,
            accounts: r.accounts.into_iter().map(String::from).collect(),
            actions: r.actions.names(),
            start: r.window.start(),
            expiry: r.window.expiry(),
        }
    }
}

/// What an approver may change while approving an `apply_asset` ticket; `None` keeps the
/// field. The result is checked like a new form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyAssetEdits {
    /// New nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<uuid::Uuid>>))]
    pub nodes: Option<Vec<NodeId>>,
    /// New assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<uuid::Uuid>>))]
    pub assets: Option<Vec<AssetId>>,
    /// New account names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
    /// New action names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// New start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// New expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<DateTime<Utc>>,
}

impl ApplyAssetEdits {
    /// True when nothing is changed.
    pub fn is_empty(&self) -> bool {
        *self == ApplyAssetEdits::default()
    }

    /// The request with these edits applied, checked as a whole.
    pub fn apply_to(&self, req: &ApplyAssetRequest) -> Result<ApplyAssetRequest, FieldErrors> {
        let mut f = req.to_form();
        if let Some(v) = &self.nodes {
            f.nodes = v.clone();
        }
        if let Some(v) = &self.assets {
            f.assets = v.clone();
        }
        if let Some(v) = &self.accounts {
            f.accounts = v.clone();
        }
        if let Some(v) = &self.actions {
            f.actions = v.clone();
        }
        if let Some(v) = self.start {
            f.start = v;
        }
        if let Some(v) = self.expiry {
            f.expiry = v;
        }
        f.parse()
    }
}

/// A `login_confirm` body: a sign-in to Tollgate held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginConfirmRequest {
    /// Where the sign-in comes from.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub ip: IpAddr,
    /// The city of that address, if known.
    #[serde(default)]
    pub city: Option<String>,
    /// The browser's user agent.
    pub user_agent: String,
    /// When the sign-in was attempted.
    pub at: DateTime<Utc>,
}

/// A `login_asset_confirm` body: a connection to an asset held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginAssetConfirmRequest {
    /// Who connects.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub user_id: UserId,
    /// To which asset.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub asset_id: AssetId,
    /// As which account.
    pub account: AccountName,
}

/// A command line held for review: 1..=4096 characters, not only whitespace; kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct CommandText(String);

impl CommandText {
    /// Check a command line.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new("command", "must not be empty"));
        }
        if raw.chars().count() > MAX_COMMAND_CHARS {
            return Err(FieldError::new(
                "command",
                format!("must be at most {MAX_COMMAND_CHARS} characters"),
            ));
        }
        Ok(CommandText(raw.to_string()))
    }

    /// The command line.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CommandText {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CommandText::parse(&s)
    }
}

impl From<CommandText> for String {
    fn from(c: CommandText) -> String {
        c.0
    }
}

/// A `command_confirm` body: a command held by a gateway for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommandConfirmRequest {
    /// Who runs it.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub user_id: UserId,
    /// On which asset.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub asset_id: AssetId,
    /// As which account.
    pub account: AccountName,
    /// The command line.
    pub command: CommandText,
    /// The gateway's session.
    pub session_id: Uuid,
    /// The command filter ACL that matched.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub acl_id: AclId,
}

/// A `policy_change` body: a change of an approval flow or an ACL made by someone who is not a
/// super admin. It takes effect only when a super admin other than its author approves it
/// (four eyes on policy), so nobody can name the approvers of their own requests alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyChangeRequest {
    /// What is changed: `flow`, `login_asset_acl` or `command_filter_acl`.
    pub policy: String,
    /// Which one: a flow's ticket type, or an ACL's id (empty for a new ACL).
    pub target: String,
    /// The policy as it was when the change was proposed (`null`: it did not exist).
    pub before: Option<serde_json::Value>,
    /// The policy as it will be (`null`: removed).
    pub after: Option<serde_json::Value>,
}

/// A ticket's body, tagged by its type: `{"type": "apply_asset", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TicketRequest {
    /// Access to assets.
    ApplyAsset(ApplyAssetRequest),
    /// A sign-in to Tollgate.
    LoginConfirm(LoginConfirmRequest),
    /// A connection to an asset.
    LoginAssetConfirm(LoginAssetConfirmRequest),
    /// A command on an asset.
    CommandConfirm(CommandConfirmRequest),
    /// A change of policy that waits for a super admin.
    PolicyChange(PolicyChangeRequest),
}

impl TicketRequest {
    /// A short fingerprint of exactly what is asked (64-bit FNV-1a of its JSON, in hex). An
    /// approver sends the version they saw; an approval of a request that changed since is
    /// refused, so an approval never carries something its approver did not see.
    pub fn version(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// The ticket type this body belongs to.
    pub fn ticket_type(&self) -> TicketType {
        match self {
            TicketRequest::ApplyAsset(_) => TicketType::ApplyAsset,
            TicketRequest::LoginConfirm(_) => TicketType::LoginConfirm,
            TicketRequest::LoginAssetConfirm(_) => TicketType::LoginAssetConfirm,
            TicketRequest::CommandConfirm(_) => TicketType::CommandConfirm,
            TicketRequest::PolicyChange(_) => TicketType::PolicyChange,
        }
    }

    /// The `apply_asset` body, if this is one.
    pub fn as_apply_asset(&self) -> Option<&ApplyAssetRequest> {
        match self {
            TicketRequest::ApplyAsset(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, 0, 0).unwrap()
    }

    pub(crate) fn form() -> ApplyAssetForm {
        ApplyAssetForm {
            permission_name: "  db access ".into(),
            nodes: vec![],
            assets: vec![Uuid::from_u128(1), Uuid::from_u128(1), Uuid::from_u128(2)],
            accounts: vec!["root".into(), " root ".into(), "@ALL".into()],
            actions: vec!["connect".into(), "upload".into()],
            start: t(1),
            expiry: t(2),
        }
    }

    #[test]
    fn parse_trims_and_dedupes() {
        let r = form().parse().unwrap();
        assert_eq!(r.permission_name.as_str(), "db access");
        assert_eq!(r.assets, vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        assert_eq!(r.accounts.len(), 2);
        assert!(r.accounts[1].is_all());
    }

    #[test]
    fn expiry_must_follow_start() {
        let mut f = form();
        f.expiry = f.start;
        let e = f.parse().unwrap_err();
        assert!(e.has("expiry"), "{e:?}");
        let mut f = form();
        f.expiry = t(0);
        assert!(f.parse().unwrap_err().has("expiry"));
        assert!(ValidityWindow::new(t(2), t(1)).is_err());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut f = form();
        f.permission_name = "   ".into();
        f.accounts = vec!["".into()];
        f.actions = vec!["fly".into()];
        f.expiry = t(0);
        let e = f.parse().unwrap_err();
        for field in ["permission_name", "accounts", "actions", "expiry"] {
            assert!(e.has(field), "{field} missing in {e:?}");
        }
        assert!(e.to_string().contains("fly"));
    }

    #[test]
    fn names_are_bounded() {
        assert!(PermissionName::parse(&"x".repeat(128)).is_ok());
        assert!(PermissionName::parse(&"x".repeat(129)).is_err());
        assert!(AccountName::parse(&"é".repeat(128)).is_ok());
        assert!(AccountName::parse(&"é".repeat(129)).is_err());
        assert!(AccountName::parse(" ").is_err());
        assert!(AccountName::all().is_all());
    }

    /// Finding 14: 52,000 node ids used to cost a second of CPU in `dedupe`.
    #[test]
    fn huge_id_lists_are_refused_quickly_with_the_field_named() {
        let ids: Vec<Uuid> = (0..52_000u128).map(Uuid::from_u128).collect();
        let started = std::time::Instant::now();
        for field in ["nodes", "assets"] {
            let mut f = form();
            if field == "nodes" {
                f.nodes = ids.clone();
            } else {
                f.assets = ids.clone();
            }
            let e = f.parse().unwrap_err();
            let err = e.0.iter().find(|e| e.field == field).expect("field named");
            assert_eq!(err.reason, "at most 1000 items (got 52000)");
        }
        let mut f = form();
        f.accounts = (0..52_000).map(|i| format!("u{i}")).collect();
        let e = f.parse().unwrap_err();
        assert_eq!(e.0.len(), 1, "one error for the list, not one per item");
        assert_eq!(e.0[0].field, "accounts");
        assert_eq!(e.0[0].reason, "at most 200 items (got 52000)");
        let mut f = form();
        f.actions = vec!["connect".into(); MAX_ACTIONS + 1];
        assert!(f.parse().unwrap_err().has("actions"));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Edits are checked the same way.
        let edits = ApplyAssetEdits {
            nodes: Some(ids),
            ..Default::default()
        };
        assert!(edits
            .apply_to(&form().parse().unwrap())
            .unwrap_err()
            .has("nodes"));
    }

    #[test]
    fn lists_at_the_cap_parse_and_keep_their_order() {
        // 1,000 distinct ids, not in sorted order, then the same again: duplicates go, order
        // stays (a set must not sort them).
        let ids: Vec<Uuid> = (0..1000u128)
            .map(|i| Uuid::from_u128((i * 7919) % 1000))
            .collect();
        let mut f = form();
        f.nodes = ids.clone();
        f.assets = ids.clone();
        f.accounts = (0..MAX_ACCOUNTS)
            .rev()
            .map(|i| format!("acct{i}"))
            .collect();
        let r = f.parse().unwrap();
        assert_eq!(r.nodes, ids);
        assert_eq!(r.assets, ids);
        assert_eq!(r.accounts.len(), MAX_ACCOUNTS);
        assert_eq!(r.accounts[0].as_str(), "acct199");
        let mut f = form();
        f.nodes = [&ids[..500], &ids[..500]].concat();
        assert_eq!(f.parse().unwrap().nodes, ids[..500]);
    }

    #[test]
    fn dedupe_is_not_quadratic() {
        let ids: Vec<Uuid> = (0..200_000u128).map(Uuid::from_u128).collect();
        let started = std::time::Instant::now();
        assert_eq!(dedupe(ids.clone()), ids);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    proptest::proptest! {
        #[test]
        fn dedupe_keeps_the_first_of_each_in_order(v in proptest::collection::vec(0u8..16, 0..64)) {
            let mut want: Vec<u8> = Vec::new();
            for x in &v {
                if !want.contains(x) {
                    want.push(*x);
                }
            }
            proptest::prop_assert_eq!(dedupe(v), want);
        }
    }

    #[test]
    fn empty_actions_refused() {
        let mut f = form();
        f.actions = vec![];
        assert!(f.parse().unwrap_err().has("actions"));
    }

    #[test]
    fn command_bounds() {
        assert!(CommandText::parse("ls").is_ok());
        assert!(CommandText::parse(" \n").is_err());
        assert!(CommandText::parse(&"a".repeat(4096)).is_ok());
        assert!(CommandText::parse(&"a".repeat(4097)).is_err());
    }

    #[test]
    fn json_is_flat_and_validated_on_the_way_in() {
        let r = TicketRequest::ApplyAsset(form().parse().unwrap());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], "apply_asset");
        assert_eq!(v["actions"], serde_json::json!(["connect", "upload"]));
        assert!(v["expiry"].is_string());
        let back: TicketRequest = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, r);
        let mut bad = v;
        bad["expiry"] = bad["start"].clone();
        assert!(serde_json::from_value::<TicketRequest>(bad).is_err());
    }

    #[test]
    fn other_bodies_round_trip() {
        let bodies = vec![
            TicketRequest::LoginConfirm(LoginConfirmRequest {
                ip: "10.0.0.1".parse().unwrap(),
                city: None,
                user_agent: "ua".into(),
                at: t(3),
            }),
            TicketRequest::LoginAssetConfirm(LoginAssetConfirmRequest {
                user_id: Uuid::from_u128(1),
                asset_id: Uuid::from_u128(2),
                account: AccountName::parse("root").unwrap(),
            }),
            TicketRequest::CommandConfirm(CommandConfirmRequest {
                user_id: Uuid::from_u128(1),
                asset_id: Uuid::from_u128(2),
                account: AccountName::parse("root").unwrap(),
                command: CommandText::parse("rm -rf /").unwrap(),
                session_id: Uuid::from_u128(3),
                acl_id: Uuid::from_u128(4),
            }),
        ];
        for b in bodies {
            let s = serde_json::to_string(&b).unwrap();
            let back: TicketRequest = serde_json::from_str(&s).unwrap();
            assert_eq!(back, b);
        }
    }

    #[test]
    fn edits_are_checked() {
        let r = form().parse().unwrap();
        let e = ApplyAssetEdits {
            expiry: Some(t(0)),
            ..Default::default()
        };
        assert!(e.apply_to(&r).unwrap_err().has("expiry"));
        let e = ApplyAssetEdits {
            actions: Some(vec!["all".into()]),
            ..Default::default()
        };
        assert!(e.apply_to(&r).unwrap().actions.is_all());
        assert!(ApplyAssetEdits::default().is_empty());
    }
}
