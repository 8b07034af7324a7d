//! Request and response shapes of tickets, pickers and grants: the REST API's JSON and what
//! the pages receive from their server functions are the same types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_core::{
    ApplyAssetEdits, ApplyAssetForm, Decision, EventKind, RequestDiff, Rule, StepState,
    TicketAction, TicketRequest, TicketState, TicketType,
};
use uuid::Uuid;

use crate::error::AppError;

/// A person, as lists and timelines show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: Uuid,
    pub username: String,
    #[serde(default)]
    pub display_name: String,
}

impl Person {
    /// "Dave Lister (dave)": the username always stands beside a display name, so a display
    /// name cannot pass for someone else's (display names are free text).
    pub fn label(&self) -> String {
        if self.display_name.is_empty() || self.display_name == self.username {
            self.username.clone()
        } else {
            format!("{} ({})", self.display_name, self.username)
        }
    }
}

/// Something with an id and a name (orgs, nodes, assets in a ticket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// One assignee of a level and their answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssigneeDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub decision: Decision,
    pub decided_at: Option<DateTime<Utc>>,
    /// For a delegate: the person away they stand in for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Person>,
}

impl AssigneeDto {
    /// "Bob Builder (bob)", as [`Person::label`].
    pub fn label(&self) -> String {
        Person {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
        }
        .label()
    }
}

/// One approval level of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepDto {
    pub level: u8,
    pub rule: Rule,
    /// Approving or rejecting at this level asks for a fresh second factor.
    pub step_up: bool,
    /// Rejecting at this level needs a reason of at least this many characters (0: none).
    #[serde(default)]
    pub reject_reason_min: u16,
    pub state: StepState,
    pub assignees: Vec<AssigneeDto>,
    /// How many people approved so far (a delegate's approval is the person's, once).
    #[serde(default)]
    pub approvals: usize,
    /// How many approvals the level needs.
    #[serde(default)]
    pub needed: usize,
}

/// A ticket as its viewer may see it (SPEC §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketDto {
    pub id: Uuid,
    pub serial: String,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub title: String,
    pub comment: String,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub applicant: Person,
    pub state: TicketState,
    pub current_level: u8,
    pub steps: Vec<StepDto>,
    pub cc: Vec<Person>,
    pub request: TicketRequest,
    /// The fingerprint of `request`: send it back as `seen_version` when approving, so that an
    /// approval of a request changed since (by another approver) is refused (409).
    pub request_version: String,
    /// Names of the nodes (as paths) and assets the request names, for display.
    pub nodes: Vec<Named>,
    pub assets: Vec<Named>,
    /// What the caller may do now.
    pub allowed_actions: Vec<TicketAction>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A `policy_change` ticket that waits for a super admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PendingChange {
    pub ticket_id: Uuid,
    pub serial: String,
}

/// A row of a ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketSummary {
    pub id: Uuid,
    pub serial: String,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub title: String,
    pub org_name: Option<String>,
    pub applicant: Person,
    pub state: TicketState,
    pub current_level: u8,
    pub levels: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A `ticket` event of the live stream (`GET /api/v1/events`): something happened to a
/// ticket the listener may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketNews {
    pub ticket_id: Uuid,
    /// What happened: `opened`, `approved`, `rejected`, `closed`, `commented`, …
    pub kind: String,
    /// The ticket's state after it.
    pub state: String,
    pub at: DateTime<Utc>,
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventDto {
    pub id: i64,
    pub kind: EventKind,
    pub actor: Option<Person>,
    pub level: Option<u8>,
    pub comment: Option<String>,
    pub diff: Option<RequestDiff>,
    /// For a decision at a level that asked for a fresh second factor: how it was given.
    pub step_up: Option<tollgate_core::StepUp>,
    /// For a decision by a delegate: the person away they decided for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Person>,
    pub at: DateTime<Utc>,
}

/// A request template of an org: a named starting point for a new access request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateDto {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub nodes: Vec<Uuid>,
    /// The assets, named.
    pub assets: Vec<Named>,
    pub accounts: Vec<String>,
    pub actions: Vec<String>,
    pub period_days: u16,
    pub reason_hint: String,
}

/// A delegation (out of office): `person` is away from `starts_at` until `ends_at`, and
/// `delegate` is asked in their place meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DelegationDto {
    pub id: Uuid,
    pub person: Person,
    pub delegate: Person,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// It runs now.
    pub running: bool,
}

/// A new delegation. A start in the past starts now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewDelegation {
    pub delegate_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Someone's delegations not yet over (where they are away, and where they stand in), and how
/// many of the tickets waiting for them are asked of a delegate for them (`handed_over`) or
/// asked of them for someone away (`standing_in`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delegations {
    pub delegations: Vec<DelegationDto>,
    pub handed_over: i64,
    pub standing_in: i64,
}

/// A message in a ticket's thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentDto {
    pub id: Uuid,
    pub author: Person,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Everything the detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketDetail {
    pub ticket: TicketDto,
    pub events: Vec<EventDto>,
    pub comments: Vec<CommentDto>,
    /// Names of the nodes and assets that the history's diffs mention.
    pub labels: Vec<Named>,
    /// The grant an approved access request became (its period and status now).
    #[serde(default)]
    pub grant: Option<GrantDto>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match; when `total_capped`, a lower bound (counting stopped there).
    pub total: i64,
    /// True when more match than were counted (ticket lists count up to 10,000).
    #[serde(default)]
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    /// A whole list as one page (lists that are never paged: orgs, flows, members).
    pub fn whole(items: Vec<T>) -> Page<T> {
        let n = items.len();
        Page {
            items,
            total: n as i64,
            total_capped: false,
            page: 1,
            per_page: n.max(1) as u32,
        }
    }
}

/// Which tickets a list shows, relative to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// I applied.
    #[default]
    Mine,
    /// Waiting for my approval now.
    Assigned,
    /// I approved or rejected a level of it.
    Processed,
    /// I am in CC.
    Cc,
    /// Every ticket I may see.
    All,
}

/// Filters of a ticket list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ssr",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct TicketQuery {
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub state: Option<TicketState>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<TicketType>,
    #[serde(default)]
    pub org: Option<Uuid>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<u64>, maximum = 4294967295.0))]
    pub page: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(value_type = Option<u64>, maximum = 4294967295.0))]
    pub per_page: Option<u32>,
}

/// Opening an `apply_asset` ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OpenTicket {
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub org_id: Uuid,
    pub title: String,
    #[serde(default)]
    pub comment: String,
    pub request: ApplyAssetForm,
}

/// Approving, with optional edits of the request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApproveBody {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub edits: Option<ApplyAssetEdits>,
    /// The `request_version` of the ticket as the approver saw it. When given and the request
    /// has changed since, the approval is refused with 409 `changed` (the pages always send it).
    #[serde(default)]
    pub seen_version: Option<String>,
    /// A code of the approver's authenticator app (or a recovery code), for a level that asks
    /// for a fresh second factor (see `step_up` of the ticket's steps).
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// Closing (or withdrawing).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentOnly {
    #[serde(default)]
    pub comment: Option<String>,
}

/// Rejecting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectBody {
    #[serde(default)]
    pub comment: Option<String>,
    /// A code of the approver's authenticator app (or a recovery code), for a level that asks
    /// for a fresh second factor.
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// A message for the thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewComment {
    pub body: String,
}

/// What a bulk request does to each ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Approve,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkBody {
    pub action: BulkAction,
    pub ids: Vec<Uuid>,
    /// A code of the approver's authenticator app (or a recovery code), for the tickets whose
    /// level asks for a fresh second factor.
    #[serde(default)]
    pub second_factor_code: Option<String>,
}

/// The outcome for one ticket of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkResult {
    pub id: Uuid,
    pub ok: bool,
    pub error: Option<AppError>,
}

/// A node of an org's tree; `path` is `/Default/prod/web`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NodeDto {
    pub id: Uuid,
    pub org_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub path: String,
    pub asset_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssetDto {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub address: String,
    pub platform: String,
    pub nodes: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountDto {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub name: String,
    pub username: String,
}

/// An org the caller may apply in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgDto {
    pub id: Uuid,
    pub name: String,
}

/// An asset permission made from an approved ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GrantDto {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub ticket_serial: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub user: Person,
    pub permission_name: String,
    pub nodes: Vec<Named>,
    pub assets: Vec<Named>,
    pub accounts: Vec<String>,
    pub actions: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `scheduled`, `expired` or `revoked`, at the time of the answer.
    pub status: String,
    /// The caller may revoke it now (it is live or scheduled, and they are a super admin, an
    /// admin of its org, or — on the ticket's page — an approver of its last level).
    #[serde(default)]
    pub can_revoke: bool,
}

/// Why a grant is taken back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RevokeGrant {
    /// 1 to 1000 characters; the holder and the approvers are told it.
    pub reason: String,
}

/// The answer of `/grants/check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GrantCheck {
    pub allowed: bool,
    pub grant_id: Option<Uuid>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// An approval flow as the editor and `/api/v1/flows` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlowDto {
    /// `global` or the org's id.
    pub scope: String,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    /// False when an org has no flow of its own and the global one applies.
    pub own: bool,
    pub flow: tollgate_core::Flow,
    /// Names of everyone the flow names.
    pub people: Vec<Person>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether the caller may change it.
    pub can_edit: bool,
    /// A change of this flow waiting for a super admin's approval (org admins' changes take
    /// effect only then).
    #[serde(default)]
    pub pending_change: Option<PendingChange>,
}

/// Who would be asked at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PreviewLevel {
    pub level: u8,
    pub users: Vec<Person>,
    /// Who the level's escalation would add, if it has one.
    #[serde(default)]
    pub escalation: Vec<Person>,
}

/// A sign-in held for a reviewer (SPEC §6): what the waiting page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PendingSignIn {
    /// The login_confirm ticket.
    pub ticket_id: Uuid,
    pub serial: String,
    /// Who is signing in.
    pub username: String,
    /// `pending`, `approved`, `rejected`, `closed` or `expired`.
    pub state: TicketState,
    /// True once a decision is made (or the wait ended).
    pub decided: bool,
    /// True when this answer signed the browser in (`Set-Cookie` carries the session).
    pub signed_in: bool,
    /// The login ACL that asked for the review.
    pub rule: String,
    /// Who may approve it.
    pub reviewers: Vec<String>,
    /// Where the sign-in comes from.
    pub ip: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// When the ticket expires unless someone decides.
    pub expires_at: DateTime<Utc>,
    /// Why it ended, in words (who decided, their comment).
    pub reason: Option<String>,
}
