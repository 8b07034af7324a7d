//! Request and response shapes of the administration API (orgs, people, the estate, import,
//! settings), shared by the REST API and the Administration pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_core::{OrgRole, SystemRole};
use uuid::Uuid;

use crate::dto::Person;

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
    #[serde(default)]
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
    #[serde(default)]
    pub orgs: Vec<NewMembership>,
}

/// Change a user: any field left out stays. `password` resets it (and ends their sessions);
/// `active: false` deactivates (sessions and tokens end at once).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    /// Required when people change their own password or email: what they sign in with today.
    #[serde(default)]
    pub current_password: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub system_role: Option<SystemRole>,
    #[serde(default)]
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
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    pub name: String,
}

/// Rename a node and/or move it under another parent of the same org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
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
}

impl Default for SettingsDto {
    fn default() -> Self {
        SettingsDto {
            default_period_days: 7,
            ttl_minutes: TtlMinutes::default(),
            direct_email_approval: false,
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
}
