//! Read endpoints the pickers need: orgs, the node tree, assets, accounts, users.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use tollgate_app::backend::Backend;
use tollgate_app::dto::*;
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiQuery, Caller};
use super::openapi::ApiErrorBody;
use super::responses::{NotAMember, UnknownOrg};
use crate::AppState;

/// Orgs the caller may apply in.
#[utoipa::path(
    get,
    path = "/api/v1/orgs",
    tag = "directory",
    responses(
        (status = 200, description = "All of them, one page", body = Page<OrgDto>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn orgs(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Page<OrgDto>>, AppError> {
    Ok(Json(Page::whole(s.services.orgs_for(&v).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// The org.
    org: Uuid,
    /// Part of a name or address.
    #[serde(default)]
    q: Option<String>,
    /// Only assets under this node.
    #[serde(default)]
    node: Option<Uuid>,
    /// Only assets of this platform (e.g. `linux`).
    #[serde(default)]
    platform: Option<String>,
}

/// The node tree of an org.
#[utoipa::path(
    get,
    path = "/api/v1/nodes",
    tag = "directory",
    params(OrgQuery),
    responses(
        (status = 200, description = "All of them, one page", body = Page<NodeDto>),
        UnknownOrg,
        NotAMember,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn nodes(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<Page<NodeDto>>, AppError> {
    Ok(Json(Page::whole(s.services.nodes(&v, q.org).await?)))
}

/// Assets of an org, by name or address (`q`) and node.
#[utoipa::path(
    get,
    path = "/api/v1/assets",
    tag = "directory",
    params(OrgQuery),
    responses(
        (status = 200, description = "The matches, one page", body = Page<AssetDto>),
        UnknownOrg,
        NotAMember,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn assets(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<Page<AssetDto>>, AppError> {
    let items = s.services.assets(&v, q.org, q.q, q.node).await?;
    Ok(Json(Page::whole(
        crate::usecases::admin::estate::filter_platform(items, q.platform.as_deref()),
    )))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Comma-separated asset ids.
    assets: String,
}

/// Accounts of some assets.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "directory",
    params(AccountQuery),
    responses(
        (status = 200, description = "All of them, one page", body = Page<AccountDto>),
        (status = 403, description = "Not allowed to see these assets", body = ApiErrorBody),
        (status = 404, description = "An asset of an org the caller may not browse", body = ApiErrorBody),
        (status = 422, description = "More than 500 assets", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn accounts(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<Page<AccountDto>>, AppError> {
    let mut ids = Vec::new();
    for part in q.assets.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        ids.push(part.parse::<Uuid>().map_err(|_| {
            AppError::new(400, "bad_query", format!("{part:?} is not an asset id"))
        })?);
    }
    Ok(Json(Page::whole(s.services.accounts(&v, ids).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a username or name.
    #[serde(default)]
    q: Option<String>,
}

/// Active users by username or name: approvers may come from any org, so any signed-in user may
/// look people up (as in a company directory); only names are shown.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "directory",
    params(UserQuery),
    responses(
        (status = 200, description = "Up to 50 matches", body = Page<Person>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn users(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<Page<Person>>, AppError> {
    Ok(Json(Page::whole(s.services.search_users(&v, q.q).await?)))
}
