//! Server functions of the pages: each parses, finds the signed-in viewer, calls the
//! [`crate::backend::Backend`] and gives failures their real HTTP status.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

use crate::dto::*;
use crate::error::AppError;

#[cfg(feature = "ssr")]
macro_rules! call {
    (|$b:ident, $v:ident| $body:expr) => {{
        use crate::backend::*;
        with_status(
            async {
                let $v = require_viewer()?;
                let $b = backend()?;
                $body.await
            }
            .await,
        )
    }};
}

#[server(prefix = "/sfn", endpoint = "tickets/list", input = Json)]
pub async fn list_tickets(query: TicketQuery) -> Result<Page<TicketSummary>, AppError> {
    call!(|b, v| b.list_tickets(&v, query))
}

#[server(prefix = "/sfn", endpoint = "tickets/detail", input = Json)]
pub async fn load_ticket(id: Uuid) -> Result<TicketDetail, AppError> {
    call!(|b, v| b.ticket_detail(&v, id))
}

#[server(prefix = "/sfn", endpoint = "tickets/open", input = Json)]
pub async fn open_request(body: OpenTicket) -> Result<TicketDto, AppError> {
    call!(|b, v| b.open_ticket(&v, body))
}

#[server(prefix = "/sfn", endpoint = "tickets/approve", input = Json)]
pub async fn approve_ticket(id: Uuid, body: ApproveBody) -> Result<TicketDto, AppError> {
    call!(|b, v| b.approve(&v, id, body))
}

#[server(prefix = "/sfn", endpoint = "tickets/reject", input = Json)]
pub async fn reject_ticket(
    id: Uuid,
    comment: Option<String>,
    second_factor_code: Option<String>,
) -> Result<TicketDto, AppError> {
    call!(|b, v| b.reject(
        &v,
        id,
        RejectBody {
            comment,
            second_factor_code
        }
    ))
}

#[server(prefix = "/sfn", endpoint = "tickets/close", input = Json)]
pub async fn close_ticket(id: Uuid, comment: Option<String>) -> Result<TicketDto, AppError> {
    call!(|b, v| b.close(&v, id, CommentOnly { comment }))
}

#[server(prefix = "/sfn", endpoint = "tickets/comment", input = Json)]
pub async fn comment_ticket(id: Uuid, body: String) -> Result<CommentDto, AppError> {
    call!(|b, v| b.add_comment(&v, id, NewComment { body }))
}

#[server(prefix = "/sfn", endpoint = "tickets/bulk", input = Json)]
pub async fn bulk_tickets(body: BulkBody) -> Result<Vec<BulkResult>, AppError> {
    call!(|b, v| b.bulk(&v, body))
}

#[server(prefix = "/sfn", endpoint = "tickets/inbox_count", input = Json)]
pub async fn inbox_count() -> Result<i64, AppError> {
    call!(|b, v| b.inbox_count(&v))
}

#[server(prefix = "/sfn", endpoint = "dir/orgs", input = Json)]
pub async fn my_orgs() -> Result<Vec<OrgDto>, AppError> {
    call!(|b, v| b.orgs_for(&v))
}

#[server(prefix = "/sfn", endpoint = "dir/nodes", input = Json)]
pub async fn org_nodes(org: Uuid) -> Result<Vec<NodeDto>, AppError> {
    call!(|b, v| b.nodes(&v, org))
}

#[server(prefix = "/sfn", endpoint = "dir/assets", input = Json)]
pub async fn org_assets(org: Uuid, q: Option<String>) -> Result<Vec<AssetDto>, AppError> {
    call!(|b, v| b.assets(&v, org, q, None))
}

#[server(prefix = "/sfn", endpoint = "dir/accounts", input = Json)]
pub async fn asset_accounts(assets: Vec<Uuid>) -> Result<Vec<AccountDto>, AppError> {
    call!(|b, v| b.accounts(&v, assets))
}

#[server(prefix = "/sfn", endpoint = "grants/list", input = Json)]
pub async fn list_grants(mine: bool, page: u32) -> Result<Page<GrantDto>, AppError> {
    call!(|b, v| b.grants(&v, mine, page))
}

#[server(prefix = "/sfn", endpoint = "grants/revoke", input = Json)]
pub async fn revoke_grant(id: Uuid, reason: String) -> Result<GrantDto, AppError> {
    call!(|b, v| b.revoke_grant(&v, id, reason))
}

#[server(prefix = "/sfn", endpoint = "settings/default_period", input = Json)]
pub async fn default_period_days() -> Result<i64, AppError> {
    use crate::backend::*;
    Ok(backend()?.default_period_days().await)
}

#[server(prefix = "/sfn", endpoint = "users/search", input = Json)]
pub async fn search_users(q: Option<String>) -> Result<Vec<Person>, AppError> {
    call!(|b, v| b.search_users(&v, q))
}

#[server(prefix = "/sfn", endpoint = "flows/list", input = Json)]
pub async fn list_flows() -> Result<Vec<FlowDto>, AppError> {
    call!(|b, v| b.list_flows(&v))
}

#[server(prefix = "/sfn", endpoint = "flows/get", input = Json)]
pub async fn get_flow(scope: String, ticket_type: String) -> Result<FlowDto, AppError> {
    call!(|b, v| b.get_flow(&v, &scope, &ticket_type))
}

#[server(prefix = "/sfn", endpoint = "flows/save", input = Json)]
pub async fn save_flow(
    scope: String,
    ticket_type: String,
    flow: tollgate_core::Flow,
) -> Result<FlowDto, AppError> {
    call!(|b, v| b.put_flow(&v, &scope, &ticket_type, flow))
}

#[server(prefix = "/sfn", endpoint = "flows/delete", input = Json)]
pub async fn delete_flow(scope: String, ticket_type: String) -> Result<FlowDto, AppError> {
    call!(|b, v| b.delete_flow(&v, &scope, &ticket_type))
}

#[server(prefix = "/sfn", endpoint = "flows/preview", input = Json)]
pub async fn preview_flow(
    scope: String,
    ticket_type: String,
    flow: tollgate_core::Flow,
    applicant: Uuid,
) -> Result<Vec<PreviewLevel>, AppError> {
    call!(|b, v| b.preview_flow(&v, &scope, &ticket_type, Some(flow), applicant))
}

#[cfg(feature = "ssr")]
macro_rules! notes {
    (|$b:ident, $v:ident| $body:expr) => {{
        use crate::backend::*;
        with_status(
            async {
                let $v = require_viewer()?;
                let $b = notifications_backend()?;
                $body.await
            }
            .await,
        )
    }};
}

#[server(prefix = "/sfn", endpoint = "notifications/list", input = Json)]
pub async fn list_notifications(
    unread_only: bool,
    page: u32,
) -> Result<crate::notifications::NotificationList, AppError> {
    notes!(|b, v| b.notifications(&v, unread_only, page, 30))
}

#[server(prefix = "/sfn", endpoint = "notifications/unread", input = Json)]
pub async fn unread_notifications() -> Result<i64, AppError> {
    notes!(|b, v| b.unread_notifications(&v))
}

#[server(prefix = "/sfn", endpoint = "notifications/read", input = Json)]
pub async fn mark_notification_read(
    id: Uuid,
) -> Result<crate::notifications::NotificationDto, AppError> {
    notes!(|b, v| b.mark_notification_read(&v, id))
}

#[server(prefix = "/sfn", endpoint = "notifications/read_all", input = Json)]
pub async fn mark_all_notifications_read() -> Result<i64, AppError> {
    notes!(|b, v| b.mark_all_notifications_read(&v, None))
}

#[server(prefix = "/sfn", endpoint = "notifications/read_ticket", input = Json)]
pub async fn mark_ticket_notifications_read(ticket: Uuid) -> Result<i64, AppError> {
    notes!(|b, v| b.mark_all_notifications_read(&v, Some(ticket)))
}
