//! Request and response shapes of the administration API (orgs, people, the estate, import,
//! settings, tokens, access rules), shared by the REST API and the pages that call it
//! ([`crate::client`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_core::{AclAction, CommandGroupSpec, OrgRole, SystemRole};
use uuid::Uuid;

use crate::dto::{PendingChange, Person};

/// Create an org (its root node, named like the org, is made with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    pub name: String,
}

/// Rename an org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An org with its counts, for administrators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgDetail {
    pub id: Uuid,
    pub name: String,
    pub root_node_id: Option<Uuid>,
    pub members: i64,
    pub assets: i64,
    pub created_at: DateTime<Utc>,
}

/// One org a user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserOrg {
    pub org_id: Uuid,
    pub org_name: String,
    pub role: OrgRole,
}

/// A user as administrators see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserDetail {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub system_role: SystemRole,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub orgs: Vec<UserOrg>,
    /// An authenticator app is set up (a super admin can reset it).
    #[serde(default)]
    pub second_factor: bool,
}

/// A membership to give a new user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMembership {
    pub org_id: Uuid,
    pub role: OrgRole,
}

/// Create a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    /// Only a super admin may choose someone's password. Left empty, the person gets a one-time
    /// link by email to choose it (an email address is then required).
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub system_role: Option<SystemRole>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<NewMembership>,
}

/// Change a user: any field left out stays. `password` resets it (and ends their sessions);
/// `active: false` deactivates (sessions and tokens end at once).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Required when people change their own password or email: what they sign in with today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_role: Option<SystemRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A member of an org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberDto {
    pub user: Person,
    pub role: OrgRole,
    pub active: bool,
    /// Invited by an org admin and not accepted yet: not a member until they accept.
    #[serde(default)]
    pub invited: bool,
}

/// An invitation to join an org, as its invitee sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationDto {
    pub org_id: Uuid,
    pub org_name: String,
    pub role: OrgRole,
    pub invited_by: Option<Person>,
    pub created_at: DateTime<Utc>,
}

/// Add someone to an org, or change their role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutMember {
    pub user_id: Uuid,
    pub role: OrgRole,
}

/// Create a node: under `parent_id` (the org's root when left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    pub org_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
    pub name: String,
}

/// Rename a node and/or move it under another parent of the same org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
}

/// Create an asset, placed under `nodes` (the org's root when empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    pub org_id: Uuid,
    pub name: String,
    pub address: String,
    pub platform: String,
    #[serde(default)]
    pub nodes: Vec<Uuid>,
}

/// Change an asset; `nodes` replaces where it sits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub nodes: Option<Vec<Uuid>>,
}

/// Create an account of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub asset_id: Uuid,
    pub name: String,
    #[serde(default)]
    pub username: String,
}

/// Change an account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// One row of an import: a node path, optionally an asset under it, optionally an account of
/// that asset. Empty strings count as left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRow {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub asset: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// A JSON import: `{"rows": [...]}` (a bare array is accepted too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportBody {
    pub rows: Vec<ImportRow>,
    /// Check only: report what would happen, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A row that was refused, and why (1-based row number; in a CSV the header is row 1's
/// predecessor, so row 1 is the first line of data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefusedRow {
    pub row: usize,
    pub field: String,
    pub reason: String,
}

/// The most names an [`ImportReport`] lists of each kind, and the most refused rows it
/// lists: the report counts everything but names only the first few, so its size does not
/// grow with the file.
pub const IMPORT_REPORT_LIST_MAX: usize = 50;

/// What an import did (or, refused, would have done: then nothing was written). Counts, and
/// the first few names of each kind (at most [`IMPORT_REPORT_LIST_MAX`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub rows: usize,
    pub dry_run: bool,
    /// How many nodes were made.
    pub created_nodes: usize,
    /// How many assets were made.
    pub created_assets: usize,
    /// How many accounts were made.
    pub created_accounts: usize,
    /// How many assets and accounts were already there (reused, left unchanged).
    pub existing: usize,
    /// The first of each kind, by name.
    pub sample: ImportSample,
    /// How many rows were refused.
    pub refused_rows: usize,
    /// The first refused rows (at most [`IMPORT_REPORT_LIST_MAX`]).
    pub refused: Vec<RefusedRow>,
}

/// The first names of what an import made or found (at most [`IMPORT_REPORT_LIST_MAX`] each).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportSample {
    /// Node paths made.
    pub nodes: Vec<String>,
    /// Asset names made.
    pub assets: Vec<String>,
    /// `asset/account` made.
    pub accounts: Vec<String>,
    /// Assets and `asset/account` that were already there.
    pub existing: Vec<String>,
}

/// Time to live of a pending ticket, per type, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TtlMinutes {
    pub apply_asset: i64,
    pub login_confirm: i64,
    pub login_asset_confirm: i64,
    pub command_confirm: i64,
}

impl Default for TtlMinutes {
    fn default() -> Self {
        TtlMinutes {
            apply_asset: 10080,
            login_confirm: 10,
            login_asset_confirm: 10080,
            command_confirm: 10080,
        }
    }
}

/// The settings an administrator changes at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SettingsDto {
    /// The default request period, in days (now → now + this).
    pub default_period_days: i64,
    pub ttl_minutes: TtlMinutes,
    /// Approve/reject links in emails work without signing in.
    pub direct_email_approval: bool,
    /// A grant's holder is told this many hours before it ends (0: never).
    pub grant_ending_notice_hours: i64,
}

impl Default for SettingsDto {
    fn default() -> Self {
        SettingsDto {
            default_period_days: 7,
            ttl_minutes: TtlMinutes::default(),
            direct_email_approval: false,
            grant_ending_notice_hours: 24,
        }
    }
}

/// Change settings: fields left out stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default)]
    pub default_period_days: Option<i64>,
    #[serde(default)]
    pub ttl_minutes: Option<TtlMinutes>,
    #[serde(default)]
    pub direct_email_approval: Option<bool>,
    #[serde(default)]
    pub grant_ending_notice_hours: Option<i64>,
}

// ---------- Personal API tokens (`/api/v1/tokens`) ----------
// The server's own structs (`server/src/tokens.rs`, `server/src/api/tokens.rs`) send and
// accept exactly these shapes.

/// A new personal token's name, e.g. what script uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    /// Decisions made with it count as stepped-up (made with a second factor now).
    #[serde(default)]
    pub for_approvals: bool,
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// One of the caller's live tokens (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub for_approvals: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token just made: the only time `token` (the secret) is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub for_approvals: bool,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

// ---------- Gateway (service) tokens (`/api/v1/service-tokens`) ----------
// Same JSON as `server/src/service_tokens.rs` and `server/src/api/service_tokens.rs`.

/// A new service token: its name and the orgs it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewServiceToken {
    pub name: String,
    pub org_ids: Vec<Uuid>,
}

/// An org a service token serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTokenOrg {
    pub id: Uuid,
    pub name: String,
}

/// A service token in a list: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub orgs: Vec<ServiceTokenOrg>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Every service token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTokenList {
    pub items: Vec<ServiceTokenInfo>,
}

/// A service token just made: the only time `token` (the secret) is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedServiceToken {
    pub id: Uuid,
    pub name: String,
    pub orgs: Vec<ServiceTokenOrg>,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

// ---------- Access rules (`/api/v1/acls/…`) ----------
// Same JSON as `server/src/acls.rs` (`AclInput`, `AclDto`) and `server/src/api/acls.rs`. What
// people type (selector ids, addresses, time ranges, the time zone) stays text here: the
// server checks it and names the field of a mistake.

/// The three kinds of access rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AclKind {
    /// Sign-ins to Tollgate (global).
    Login,
    /// Connections to assets (per org).
    LoginAsset,
    /// Commands on assets (per org).
    CommandFilter,
}

impl AclKind {
    /// Its part of the API's paths: `/api/v1/acls/{path}`.
    pub fn path(self) -> &'static str {
        match self {
            AclKind::Login => "login",
            AclKind::LoginAsset => "login-asset",
            AclKind::CommandFilter => "command-filter",
        }
    }
}

/// Who (or which assets / accounts) a rule is about: `"all"`, `{"ids": [...]}` or
/// `{"names": ["ops-*"]}` (core's `Selector`, with the ids as written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSelector {
    #[default]
    All,
    Ids(Vec<String>),
    Names(Vec<String>),
}

/// The `HH:MM-HH:MM` ranges of each weekday.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekText {
    #[serde(default)]
    pub mon: Vec<String>,
    #[serde(default)]
    pub tue: Vec<String>,
    #[serde(default)]
    pub wed: Vec<String>,
    #[serde(default)]
    pub thu: Vec<String>,
    #[serde(default)]
    pub fri: Vec<String>,
    #[serde(default)]
    pub sat: Vec<String>,
    #[serde(default)]
    pub sun: Vec<String>,
}

impl WeekText {
    /// The days, Monday first, by their JSON key.
    pub fn days(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }

    /// The ranges of the day with this JSON key (`"mon"` … `"sun"`).
    pub fn day(&self, key: &str) -> Option<&Vec<String>> {
        self.days()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, r)| r)
    }

    /// The ranges of the day with this JSON key (`"mon"` … `"sun"`), to change.
    pub fn day_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        Some(match key {
            "mon" => &mut self.mon,
            "tue" => &mut self.tue,
            "wed" => &mut self.wed,
            "thu" => &mut self.thu,
            "fri" => &mut self.fri,
            "sat" => &mut self.sat,
            "sun" => &mut self.sun,
            _ => return None,
        })
    }
}

/// When a login rule applies: weekday ranges in an IANA time zone (core's `TimeWindows`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindowsText {
    pub timezone: String,
    #[serde(default)]
    pub days: WeekText,
}

impl TimeWindowsText {
    /// True when some day has a range (no range on any day means always).
    pub fn restricts(&self) -> bool {
        self.days.days().iter().any(|(_, r)| !r.is_empty())
    }
}

/// A rule as written (create or replace). Fields of other kinds are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclInput {
    pub name: String,
    pub priority: i64,
    pub active: bool,
    pub users: RuleSelector,
    pub action: AclAction,
    pub reviewers: Vec<Uuid>,
    /// Review rules: deciding the review needs a fresh second factor.
    #[serde(default)]
    pub step_up: bool,
    /// Connection and command review rules: minutes an approval answers the same question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_minutes: Option<u16>,
    /// Login rules: source addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ips: Option<Vec<String>>,
    /// Login rules: when (left out: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWindowsText>,
    /// Org rules: the org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Uuid>,
    /// Org rules: which assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<RuleSelector>,
    /// Org rules: which accounts, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<RuleSelector>,
    /// Command rules: the commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_groups: Option<Vec<CommandGroupSpec>>,
}

/// A rule as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclDto {
    pub id: Uuid,
    pub kind: AclKind,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub name: String,
    pub priority: i64,
    pub active: bool,
    pub action: AclAction,
    pub users: RuleSelector,
    #[serde(default)]
    pub ips: Option<Vec<String>>,
    #[serde(default)]
    pub time: Option<TimeWindowsText>,
    #[serde(default)]
    pub assets: Option<RuleSelector>,
    #[serde(default)]
    pub accounts: Option<RuleSelector>,
    #[serde(default)]
    pub command_groups: Option<Vec<CommandGroupSpec>>,
    pub reviewers: Vec<Uuid>,
    pub reviewer_people: Vec<Person>,
    #[serde(default)]
    pub step_up: bool,
    #[serde(default)]
    pub reuse_minutes: Option<u16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The rules of one kind, in decision order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclList {
    pub items: Vec<AclDto>,
    pub total: usize,
}

/// What an org admin's rule change answers (202): the ticket that waits for a super admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposed {
    pub pending_change: PendingChange,
}

// ---- webhooks ----

/// A webhook as the API shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDto {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A new webhook, or a change to one (PATCH: every field optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// `http://` or `https://` URL that receives the POSTs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The HMAC key (16–200 characters); made for you when left out on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A webhook just made: its secret is in this answer only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// Verify `X-Tollgate-Signature: sha256=<hex HMAC-SHA256 of the raw body under this>`.
    pub secret: String,
}

/// One message to a webhook and how its delivery went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryDto {
    /// Also the `X-Tollgate-Delivery` header of every attempt.
    pub id: Uuid,
    /// The ticket event (`opened`, `approved`, …).
    pub event: String,
    /// The ticket's serial, when the ticket still exists.
    pub ticket_serial: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Attempts made so far.
    pub attempts: i32,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Set when it was given up after the last attempt.
    pub failed_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (while neither delivered nor given up).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What the receiver answered when it took the message: its status and the start of its
    /// body (`200 OK: thanks`).
    pub answer: Option<String>,
    /// Why the last attempt failed: the receiver's answer (status and the start of its body),
    /// or the connection's or certificate's error.
    pub last_error: Option<String>,
}

/// Who may use the password form: everyone with a password, or (once single sign-on works)
/// only super admins, as the break-glass way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PasswordSignIn {
    #[default]
    Everyone,
    SuperAdminsOnly,
}

/// The OpenID Connect provider. Secrets are written, never answered: `client_secret_set` says
/// whether one is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct OidcSettings {
    pub enabled: bool,
    /// The issuer URL (`https://`; `http://` only on loopback); discovery reads
    /// `/.well-known/openid-configuration` under it.
    pub issuer: String,
    pub client_id: String,
    /// Write only: a new secret (left out or null keeps the one kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Read only.
    pub client_secret_set: bool,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The sign-in button's text: "Sign in with …".
    pub button_label: String,
    /// The ID token claim holding the person's groups.
    pub groups_claim: String,
    /// A first sign-in creates the person (else they are told to ask an administrator).
    pub create_users: bool,
    /// A sign-in whose ID token says (`amr`) that the provider asked for a second factor
    /// counts as having given one: Tollgate does not ask for its own code then.
    pub trust_amr: bool,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            client_secret_set: false,
            scopes: vec!["email".into(), "profile".into(), "groups".into()],
            button_label: "Sign in with single sign-on".into(),
            groups_claim: "groups".into(),
            create_users: true,
            trust_amr: false,
        }
    }
}

/// The LDAP or Active Directory server: search-and-bind. In the filters `{username}` is what
/// the person typed (escaped) and `{dn}` their entry's DN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct LdapSettings {
    pub enabled: bool,
    /// `ldaps://host:636`, or `ldap://host:389` with `starttls`.
    pub url: String,
    pub starttls: bool,
    /// The service account that searches.
    pub bind_dn: String,
    /// Write only: a new password (left out or null keeps the one kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_password: Option<String>,
    /// Read only.
    pub bind_password_set: bool,
    pub user_base: String,
    pub user_filter: String,
    pub username_attribute: String,
    pub name_attribute: String,
    pub email_attribute: String,
    /// Where groups are searched; empty: the person's `memberOf` values name their groups.
    pub group_base: String,
    pub group_filter: String,
    /// The attribute of a group entry that names it in the mappings.
    pub group_name_attribute: String,
    /// A first sign-in creates the person (else they are told to ask an administrator).
    pub create_users: bool,
    /// Minutes between two syncs that deactivate people who left the directory (0: never).
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 10080))]
    pub sync_minutes: u32,
}

impl Default for LdapSettings {
    fn default() -> Self {
        LdapSettings {
            enabled: false,
            url: String::new(),
            starttls: false,
            bind_dn: String::new(),
            bind_password: None,
            bind_password_set: false,
            user_base: String::new(),
            user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))".into(),
            username_attribute: "uid".into(),
            name_attribute: "cn".into(),
            email_attribute: "mail".into(),
            group_base: String::new(),
            group_filter: "(&(objectClass=groupOfNames)(member={dn}))".into(),
            group_name_attribute: "cn".into(),
            create_users: true,
            sync_minutes: 60,
        }
    }
}

/// Group → org (role) and/or super admin, for one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupMappingDto {
    pub id: Uuid,
    /// `oidc` or `ldap`.
    pub provider: String,
    pub group: String,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub role: Option<OrgRole>,
    pub super_admin: bool,
}

/// A new mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewGroupMapping {
    /// `oidc` or `ldap`.
    pub provider: String,
    pub group: String,
    #[serde(default)]
    pub org_id: Option<Uuid>,
    #[serde(default)]
    pub role: Option<OrgRole>,
    #[serde(default)]
    pub super_admin: bool,
}

/// Who must have a second factor: people it covers who have none are walked through setting
/// one up at their next sign-in, before their session opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorPolicy {
    /// Everyone chooses.
    #[default]
    Optional,
    SuperAdmins,
    /// Super admins and the admins of any org.
    Admins,
    /// Super admins and everyone a flow names as an approver (by name, or as an org admin of an
    /// org whose flow, or the global one, asks its org admins).
    Approvers,
    Everyone,
}

impl SecondFactorPolicy {
    /// Whether the policy asks `v` for a second factor; `approver`: whether a flow names them
    /// (only [`SecondFactorPolicy::Approvers`] looks at it).
    pub fn covers(self, v: &crate::model::Viewer, approver: bool) -> bool {
        let org_admin = v
            .orgs
            .iter()
            .any(|m| m.role == tollgate_core::OrgRole::OrgAdmin);
        match self {
            SecondFactorPolicy::Optional => false,
            SecondFactorPolicy::SuperAdmins => v.is_super_admin(),
            SecondFactorPolicy::Admins => v.is_super_admin() || org_admin,
            SecondFactorPolicy::Approvers => v.is_super_admin() || approver,
            SecondFactorPolicy::Everyone => true,
        }
    }
}

/// Everything about signing in: the password form, the providers, the mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SignInSettings {
    pub password_sign_in: PasswordSignIn,
    /// Who must have a second factor.
    pub second_factor: SecondFactorPolicy,
    /// How long a code given in a browser session counts as fresh for a decision at a level
    /// that asks for a fresh second factor, in minutes (0 to 60; 0: every decision asks).
    pub step_up_minutes: u32,
    pub oidc: OidcSettings,
    pub ldap: LdapSettings,
}

impl Default for SignInSettings {
    fn default() -> Self {
        SignInSettings {
            password_sign_in: PasswordSignIn::default(),
            second_factor: SecondFactorPolicy::default(),
            step_up_minutes: 5,
            oidc: OidcSettings::default(),
            ldap: LdapSettings::default(),
        }
    }
}

impl SignInSettings {
    /// OpenID Connect is on and has a provider.
    pub fn oidc_on(&self) -> bool {
        self.oidc.enabled && !self.oidc.issuer.is_empty()
    }

    /// Only super admins may use a password: so set, and a provider is on to sign the others in.
    pub fn passwords_for_super_admins_only(&self) -> bool {
        self.password_sign_in == PasswordSignIn::SuperAdminsOnly
            && (self.oidc_on() || self.ldap.enabled)
    }
}

/// What the sign-in page offers (anyone may ask).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignInOptions {
    /// The single sign-on button's text, when OpenID Connect is on.
    pub oidc_button: Option<String>,
    /// The form checks passwords against the directory too.
    pub ldap: bool,
    /// Only super admins may use a local password.
    pub password_super_admins_only: bool,
}

/// The caller's second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecondFactorStatus {
    /// An authenticator app is set up and asked for at sign-in.
    pub active: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
    /// What happened to it, newest first (the latest 50).
    #[serde(default)]
    pub events: Vec<SecurityEventDto>,
    /// The person's passkeys and security keys, oldest first. Any of them is a second factor
    /// too: sign-in asks for one (or the app's code) once there is one.
    #[serde(default)]
    pub passkeys: Vec<PasskeyDto>,
    /// Whether this server can register and check passkeys: it needs to be reached by a domain
    /// name (`TOLLGATE_PUBLIC_URL`), not an IP address.
    #[serde(default)]
    pub passkeys_available: bool,
}

/// A passkey or security key of the person (WebAuthn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyDto {
    pub id: Uuid,
    /// The name the person gave it ("Laptop", "YubiKey").
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Registers a passkey: the browser's answer to the options of
/// `POST /api/v1/me/passkeys/options` (`PublicKeyCredential.toJSON()`), and its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPasskey {
    /// 1 to 60 characters.
    pub name: String,
    /// The `PublicKeyCredential` as JSON.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub credential: serde_json::Value,
    /// When the person has a second factor already and has not given it in this session
    /// within the step-up window: a code, a recovery code or another passkey's assertion.
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// A passkey's new name (1 to 60 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyName {
    pub name: String,
}

/// Something that happened to a person's second factor (kept append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityEventDto {
    /// `second_factor_set_up`, `second_factor_removed` (by its owner), `second_factor_reset`
    /// (by a super admin, or from the server's command line), `recovery_code_used`,
    /// `passkey_added` or `passkey_removed`.
    pub kind: String,
    /// Who did it (display name); none for the command line.
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

/// An authenticator being set up: scan the QR code or type the secret, then confirm a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TotpEnrolment {
    /// The secret in base32, to type into the app.
    pub secret: String,
    /// The `otpauth://totp/…` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code, an SVG as a `data:` URI.
    pub qr_code: String,
}

/// A code of the authenticator app (six digits), a recovery code, or a passkey's assertion (the
/// `PublicKeyCredential` as JSON, answering the options of a passkey challenge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecondFactorCode {
    pub code: String,
}

/// Ten single-use recovery codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}
