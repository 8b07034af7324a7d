//! The server side of the pages: the use-cases a server function may call, behind a trait
//! the `server` crate implements (so there is no SQL here and the pages can be tested
//! against any implementation), and the per-request facts the server's middleware leaves
//! in the request's extensions.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::*;

use crate::dto::*;
use crate::error::AppError;
use crate::model::Viewer;
use uuid::Uuid;

/// Where a request came from, as the server decided (it knows whether to trust proxies).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The raw session token of the request, if it carried one (to sign out).
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// A successful sign-in: who, and the `Set-Cookie` value that carries the new session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub viewer: Viewer,
    pub set_cookie: String,
}

/// What a sign-in with the right password leads to.
pub enum SignInOutcome {
    /// A session is open.
    SignedIn(SignedIn),
    /// A login ACL holds it for review: the browser waits with a pending-sign-in cookie.
    Held(HeldSignIn),
    /// The person has a second factor: the sign-in waits for a code. The value is the
    /// `Set-Cookie` of the waiting sign-in.
    SecondFactor(String),
    /// The person must have a second factor and has none: the sign-in waits while they set
    /// one up. The value is the `Set-Cookie` of the waiting sign-in.
    SetUpSecondFactor(String),
}

/// The name of the cookie of a sign-in waiting for its second factor.
pub const SECOND_FACTOR_COOKIE: &str = "tollgate_second_factor";

/// A sign-in waiting for a reviewer.
pub struct HeldSignIn {
    pub pending: crate::dto::PendingSignIn,
    /// Sets the pending-sign-in cookie.
    pub set_cookie: String,
}

/// Where a held sign-in stands, and the cookies to set with the answer (the session once it
/// is approved, and the pending cookie cleared once it is over).
pub struct PendingOutcome {
    pub pending: crate::dto::PendingSignIn,
    pub set_cookies: Vec<String>,
}

/// The name of the pending-sign-in cookie.
pub const PENDING_COOKIE: &str = "tollgate_pending";

/// Everything the pages ask of the server.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Checks the password and the login ACLs, and opens a fresh session (a new id each time)
    /// or holds the sign-in for review.
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignInOutcome, AppError>;
    /// Where the held sign-in of `token` stands, waiting up to `wait_secs` for a decision;
    /// once approved, the same call opens the session (once). 404 for an unknown token.
    async fn pending_sign_in(
        &self,
        token: &str,
        wait_secs: u64,
        client: ClientInfo,
    ) -> Result<PendingOutcome, AppError>;
    /// Withdraws the held sign-in of `token` (the person left the waiting page); returns the
    /// `Set-Cookie` value that clears the pending cookie. Nothing to withdraw is not an error.
    async fn withdraw_sign_in(&self, token: &str) -> Result<String, AppError>;
    /// Ends the session everywhere; returns the `Set-Cookie` value that clears the cookie.
    async fn sign_out(&self, token: Option<&str>) -> Result<String, AppError>;
    /// The second factor of the sign-in waiting under `token` (its cookie): a code of the
    /// authenticator app or a recovery code.
    async fn second_factor(
        &self,
        token: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<SignInOutcome, AppError>;
    /// Starts setting up the second factor of the sign-in waiting under `token`, for someone
    /// who must have one.
    async fn begin_sign_in_enrolment(
        &self,
        token: &str,
    ) -> Result<crate::admin_dto::TotpEnrolment, AppError>;
    /// Confirms it with a code: the recovery codes (shown once) and how the sign-in goes on.
    async fn confirm_sign_in_enrolment(
        &self,
        token: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<(Vec<String>, SignInOutcome), AppError>;
    /// What the sign-in page offers: single sign-on, the directory, the password form.
    async fn sign_in_options(&self) -> Result<crate::admin_dto::SignInOptions, AppError>;

    /// Tickets the viewer may see, filtered and paged.
    async fn list_tickets(
        &self,
        viewer: &Viewer,
        query: TicketQuery,
    ) -> Result<Page<TicketSummary>, AppError>;
    /// One ticket with its history and thread (404 when the viewer may not see it).
    async fn ticket_detail(&self, viewer: &Viewer, id: Uuid) -> Result<TicketDetail, AppError>;
    /// Opens an `apply_asset` ticket.
    async fn open_ticket(&self, viewer: &Viewer, body: OpenTicket) -> Result<TicketDto, AppError>;
    /// Approves the current level (with optional edits of the request).
    async fn approve(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: ApproveBody,
    ) -> Result<TicketDto, AppError>;
    /// Rejects the ticket.
    async fn reject(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: RejectBody,
    ) -> Result<TicketDto, AppError>;
    /// Closes (applicant: withdraws) the ticket.
    async fn close(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: CommentOnly,
    ) -> Result<TicketDto, AppError>;
    /// Writes in the ticket's thread.
    async fn add_comment(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: NewComment,
    ) -> Result<CommentDto, AppError>;
    /// Approves or rejects several tickets, each on its own.
    async fn bulk(&self, viewer: &Viewer, body: BulkBody) -> Result<Vec<BulkResult>, AppError>;
    /// How many tickets wait for the viewer's decision.
    async fn inbox_count(&self, viewer: &Viewer) -> Result<i64, AppError>;
    /// Orgs the viewer may apply in.
    async fn orgs_for(&self, viewer: &Viewer) -> Result<Vec<OrgDto>, AppError>;
    /// The node tree of an org.
    async fn nodes(&self, viewer: &Viewer, org: Uuid) -> Result<Vec<NodeDto>, AppError>;
    /// Assets of an org, searched by name or address, optionally under a node.
    async fn assets(
        &self,
        viewer: &Viewer,
        org: Uuid,
        q: Option<String>,
        node: Option<Uuid>,
    ) -> Result<Vec<AssetDto>, AppError>;
    /// Accounts of the given assets.
    async fn accounts(
        &self,
        viewer: &Viewer,
        assets: Vec<Uuid>,
    ) -> Result<Vec<AccountDto>, AppError>;
    /// Grants the viewer may see (`mine`: only their own).
    async fn grants(
        &self,
        viewer: &Viewer,
        mine: bool,
        page: u32,
    ) -> Result<Page<GrantDto>, AppError>;
    /// Revokes a grant with a reason (super admins, the org's admins, the approvers of its
    /// request's last level).
    async fn revoke_grant(
        &self,
        viewer: &Viewer,
        id: Uuid,
        reason: String,
    ) -> Result<GrantDto, AppError>;
    /// The default period of a new request, in days.
    async fn default_period_days(&self) -> i64;

    /// Active users by username or name (approvers may come from any org).
    async fn search_users(
        &self,
        viewer: &Viewer,
        q: Option<String>,
    ) -> Result<Vec<Person>, AppError>;
    /// The flows the viewer may see: the global ones and each org's (own or inherited).
    async fn list_flows(&self, viewer: &Viewer) -> Result<Vec<FlowDto>, AppError>;
    /// The flow of a scope (`global` or an org id) and ticket type.
    async fn get_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
    ) -> Result<FlowDto, AppError>;
    /// Saves a flow (validated by core). Open tickets keep their assignees.
    async fn put_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
        flow: tollgate_core::Flow,
    ) -> Result<FlowDto, AppError>;
    /// Removes an org's own flow, so the global one applies again.
    async fn delete_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
    ) -> Result<FlowDto, AppError>;
    /// Who would be asked at each level if `applicant` opened a ticket now, under `flow`
    /// (a draft) or the saved flow.
    async fn preview_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
        flow: Option<tollgate_core::Flow>,
        applicant: Uuid,
    ) -> Result<Vec<PreviewLevel>, AppError>;
}

/// The handle the server puts into the Leptos context.
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);

/// The backend of this request.
pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
    use_context::<BackendHandle>()
        .map(|h| h.0)
        .ok_or_else(AppError::internal)
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The signed-in person of this request, if any (the server's middleware resolved it).
pub fn viewer() -> Option<Viewer> {
    parts().and_then(|p| p.extensions.get::<Viewer>().cloned())
}

/// The signed-in person, or 401.
pub fn require_viewer() -> Result<Viewer, AppError> {
    viewer().ok_or_else(AppError::unauthorized)
}

/// Where this request came from.
pub fn client_info() -> ClientInfo {
    parts()
        .and_then(|p| p.extensions.get::<ClientInfo>().cloned())
        .unwrap_or_default()
}

/// A cookie of this request, by name.
pub fn request_cookie(name: &str) -> Option<String> {
    cookie(&parts()?.headers, name)
}

/// The value of cookie `name` among a request's `Cookie` headers (empty counts as absent).
/// Every reader of a cookie, page or API, goes through here.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The session token this request carried.
pub fn session_token() -> Option<String> {
    parts().and_then(|p| p.extensions.get::<SessionToken>().map(|t| t.0.clone()))
}

/// Sets a response header of the current server-function or page response.
pub fn set_response_header(name: http::HeaderName, value: &str) -> Result<(), AppError> {
    let opts = use_context::<leptos_axum::ResponseOptions>().ok_or_else(AppError::internal)?;
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::internal())?;
    opts.append_header(name, value);
    Ok(())
}

/// Gives a server function's failure its real HTTP status (a wrong password is a 401, not
/// the 500 that server functions answer by default).
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let (Some(opts), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.status),
        ) {
            opts.set_status(status);
        }
    }
    result
}

/// In-app notifications (SPEC §7), a trait of its own so the main one stays as it was.
#[async_trait]
pub trait Notifications: Send + Sync + 'static {
    /// The viewer's notifications, newest first.
    async fn notifications(
        &self,
        viewer: &Viewer,
        unread_only: bool,
        page: u32,
        per_page: u32,
    ) -> Result<crate::notifications::NotificationList, AppError>;
    /// How many are unread.
    async fn unread_notifications(&self, viewer: &Viewer) -> Result<i64, AppError>;
    /// Marks one read (404 unless it is the viewer's).
    async fn mark_notification_read(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<crate::notifications::NotificationDto, AppError>;
    /// Marks all read (or all of one ticket's); returns how many.
    async fn mark_all_notifications_read(
        &self,
        viewer: &Viewer,
        ticket: Option<Uuid>,
    ) -> Result<i64, AppError>;
}

/// The notifications handle the server puts into the Leptos context.
#[derive(Clone)]
pub struct NotificationsHandle(pub Arc<dyn Notifications>);

/// The notifications service of this request.
pub fn notifications_backend() -> Result<Arc<dyn Notifications>, AppError> {
    use_context::<NotificationsHandle>()
        .map(|h| h.0)
        .ok_or_else(AppError::internal)
}
