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
use std::fmt;
use std::net::IpAddr;
use uuid::Uuid;

/// Longest permission or account name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest command a `command_confirm` ticket holds, in characters.
pub const MAX_COMMAND_CHARS: usize = 4096;

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

/// Keep the first of each value, in order.
pub(crate) fn dedupe<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
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
    /// Check every field; on failure, one error per bad field.
    pub fn parse(self) -> Result<ApplyAssetRequest, FieldErrors> {
        let mut errors = Vec::new();
        let permission_name = PermissionName::parse(&self.permission_name)
            .map_err(|e| errors.push(e))
            .ok();
        let mut accounts = Vec::new();
        for a in &self.accounts {
            match AccountName::parse(a) {
                Ok(a) => accounts.push(a),
                Err(_) => errors.push(FieldError::new(
                    "accounts",
                    format!("{a:?} is not an account name (1 to {MAX_NAME_CHARS} characters)"),
                )),
            }
        }
        let actions = match ActionSet::parse(&self.actions) {
            Ok(s) if s.is_empty() => {
                errors.push(FieldError::new("actions", "choose at least one action"));
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(FieldError::new("actions", e.to_string()));
                None
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
}

impl TicketRequest {
    /// The ticket type this body belongs to.
    pub fn ticket_type(&self) -> TicketType {
        match self {
            TicketRequest::ApplyAsset(_) => TicketType::ApplyAsset,
            TicketRequest::LoginConfirm(_) => TicketType::LoginConfirm,
            TicketRequest::LoginAssetConfirm(_) => TicketType::LoginAssetConfirm,
            TicketRequest::CommandConfirm(_) => TicketType::CommandConfirm,
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
