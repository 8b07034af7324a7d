//! # Tollgate core: the rulebook
//!
//! Everything Tollgate decides, as pure functions over plain data — no I/O, no clock, no
//! randomness (the caller passes ids and `now`). The server runs these rules inside its
//! transactions; the browser (this crate compiles to WASM) calls the same functions to show
//! only what will work.
//!
//! - [`ticket`]: tickets, their types, states, steps, events.
//! - [`request`]: what each ticket type asks for, parsed so it cannot be invalid.
//! - [`action`]: the action set a grant carries.
//! - [`asset`]: the platforms an asset may have.
//! - [`flow`]: approval flows and assignee resolution.
//! - [`directory`]: the users snapshot and the acting user.
//! - [`person`]: display names that cannot impersonate.
//! - [`transition`]: open, approve, reject, close, comment, expire.
//! - [`permission`]: who may view and do what.
//! - [`diff`]: the change an approver made to a request.
//! - [`acl`]: login, login-asset and command filter rules.
//! - [`serial`](mod@serial): ticket serial numbers.
//! - [`sso`]: what a person's groups at the identity provider give them.
//! - [`error`]: what can go wrong, with its HTTP status.

pub mod acl;
pub mod action;
pub mod asset;
pub mod delegation;
pub mod diff;
pub mod directory;
pub mod error;
pub mod flow;
pub mod ids;
pub mod permission;
pub mod person;
pub mod request;
pub mod role;
pub mod serial;
pub mod sso;
pub mod template;
pub mod ticket;
pub mod timers;
pub mod transition;

pub use acl::command::{CommandGroup, CommandGroupSpec, CommandKind, CommandLine};
pub use acl::ip::{IpList, IpPattern};
pub use acl::rules::{
    check_reviewers, decide_command, decide_login, decide_login_asset, first_match,
    parse_command_groups, AclAction, AclDecision, AclRule, AssetAccess, CommandFilterAcl, LoginAcl,
    LoginAssetAcl, LoginAttempt, Selector,
};
pub use acl::time::{TimeRange, TimeWindows, WeekRanges};
pub use action::{Action, ActionSet};
pub use asset::Platform;
pub use diff::{FieldChange, RequestDiff};
pub use directory::{Actor, DirUser, Directory};
pub use error::{FieldError, FieldErrors, RuleError};
pub use flow::{check_reason, ApproverSelector, Flow, Level, Limits, Rule};
pub use ids::{AclId, AssetId, NodeId, OrgId, TicketId, UserId, UserRef};
pub use permission::{
    allowed_actions, authorize, can_view, may_revoke_grant, may_revoke_grant_of, TicketAction,
};
pub use person::{parse_display_name, MAX_DISPLAY_NAME_CHARS};
pub use request::{
    AccountName, ApplyAssetEdits, ApplyAssetForm, ApplyAssetRequest, CommandConfirmRequest,
    CommandText, LoginAssetConfirmRequest, LoginConfirmRequest, PermissionName,
    PolicyChangeRequest, TicketRequest, ValidityWindow,
};
pub use role::{OrgRole, SystemRole};
pub use serial::{parse_serial, serial};
pub use ticket::{
    check_step_up, step_up_fresh, Assignee, Decision, EventKind, Step, StepState, StepUp, Ticket,
    TicketEvent, TicketState, TicketType, Transition,
};
pub use timers::{Escalation, StepClock, TimedEnd, TimedOutcome, Timers};
pub use transition::{
    approve, close, comment, default_ttl, expire, expires_at, open, open_with_reviewers, reject,
    NewTicket,
};
