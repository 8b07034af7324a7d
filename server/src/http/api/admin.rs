//! Administration endpoints (issue 8): create, change and delete orgs, people, memberships,
//! nodes, assets and accounts; bulk import; settings; the audit export. The rules live in
//! `crate::usecases::admin`; these parse and answer.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use tollgate_app::admin_dto::*;
use tollgate_app::dto::*;
use tollgate_app::AppError;
use uuid::Uuid;

use super::extract::{ApiJson, ApiQuery, Caller, Id};
use super::openapi::ApiErrorBody;
use super::responses::{Conflict, Invalid, NotFound, UnknownOrg};
use crate::usecases::admin;
use crate::AppState;

fn two_ids(p: (String, String)) -> Result<(Uuid, Uuid), AppError> {
    let bad = || AppError::new(400, "bad_id", "An id in the path is not a valid UUID.");
    Ok((
        p.0.parse().map_err(|_| bad())?,
        p.1.parse().map_err(|_| bad())?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a username, name or email.
    #[serde(default)]
    q: Option<String>,
    /// Only members of this org.
    #[serde(default)]
    org: Option<Uuid>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The org to import into.
    org: Uuid,
    /// Check only; write nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// First day (`YYYY-MM-DD`) or time (RFC 3339); default 30 days before `to`.
    #[serde(default)]
    from: Option<String>,
    /// Last day (included) or time; default now.
    #[serde(default)]
    to: Option<String>,
    /// Only this org.
    #[serde(default)]
    org: Option<Uuid>,
}

/// Orgs with counts: every org for super admins, else the caller's.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs",
    operation_id = "admin_list_orgs",
    tag = "admin",
    responses(
        (status = 200, description = "The orgs", body = Page<OrgDetail>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn admin_list_orgs(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Page<OrgDetail>>, AppError> {
    Ok(Json(Page::whole(
        admin::people::list_orgs(&s.pool, &v).await?,
    )))
}

/// Create an org (with its root node). Super admins.
#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    operation_id = "create_org",
    tag = "admin",
    request_body = NewOrg,
    responses(
        (status = 201, description = "The org", body = OrgDetail),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_org(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<NewOrg>,
) -> Result<(StatusCode, Json<OrgDetail>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::people::create_org(&s.pool, &v, b).await?),
    ))
}

/// One org: its members and super admins.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{id}",
    operation_id = "get_org",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The org", body = OrgDetail),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_org(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<OrgDetail>, AppError> {
    Ok(Json(admin::people::get_org(&s.pool, &v, id).await?))
}

/// Rename an org (its root node too). Super admins and its admins.
#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{id}",
    operation_id = "patch_org",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = OrgPatch,
    responses(
        (status = 200, description = "The org", body = OrgDetail),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_org(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<OrgPatch>,
) -> Result<Json<OrgDetail>, AppError> {
    Ok(Json(admin::people::patch_org(&s.pool, &v, id, b).await?))
}

/// Delete an empty org (no assets, no tickets). Super admins.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{id}",
    operation_id = "delete_org",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 204, description = "Deleted"),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete_org(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    admin::people::delete_org(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members of an org with their roles. Super admins, its admins and auditors.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{id}/members",
    operation_id = "list_members",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The members", body = Page<MemberDto>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list_members(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<Page<MemberDto>>, AppError> {
    Ok(Json(Page::whole(
        admin::people::members(&s.pool, &v, id).await?,
    )))
}

/// Add a member or change their role. Super admins and the org's admins.
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{id}/members",
    operation_id = "put_member",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = PutMember,
    responses(
        (status = 200, description = "The members", body = Page<MemberDto>),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn put_member(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<PutMember>,
) -> Result<Json<Page<MemberDto>>, AppError> {
    Ok(Json(Page::whole(
        admin::people::put_member(&s.pool, &v, id, b).await?,
    )))
}

/// Remove a member. Super admins and the org's admins.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{id}/members/{user_id}",
    operation_id = "remove_member",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The org"), ("user_id" = uuid::Uuid, Path, description = "The user")),
    responses(
        (status = 204, description = "Removed"),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn remove_member(
    State(s): State<AppState>,
    Caller(v): Caller,
    Path(p): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let (org, user) = two_ids(p)?;
    admin::people::remove_member(&s.pool, &v, org, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// People with roles and memberships: everyone for super admins, members of the orgs they oversee for org admins and auditors, else only the caller.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    operation_id = "admin_list_users",
    tag = "admin",
    params(PeopleQuery),
    responses(
        (status = 200, description = "The people", body = Page<UserDetail>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn admin_list_users(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<Page<UserDetail>>, AppError> {
    Ok(Json(Page::whole(
        admin::people::list_users(&s.pool, &v, q.q, q.org).await?,
    )))
}

/// Create a user. Super admins; org admins for members of their orgs.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "create_user",
    tag = "admin",
    request_body = NewUser,
    responses(
        (status = 201, description = "The user", body = UserDetail),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_user(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserDetail>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::people::create_user(&s.pool, &v, b).await?),
    ))
}

/// One user: themselves, super admins, admins and auditors of their orgs.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    operation_id = "get_user",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The user", body = UserDetail),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_user(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<UserDetail>, AppError> {
    Ok(Json(admin::people::get_user(&s.pool, &v, id).await?))
}

/// Change a user: themselves (name, email, password); super admins (also role, active).
/// Changing one's own password or email needs `current_password` and a browser session (403
/// `session_required` with an API token), and ends every other session and every API token.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    operation_id = "patch_user",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user", body = UserDetail),
        (status = 422, description = "An invalid value (see `field`), or a wrong `current_password`", body = ApiErrorBody),
        (status = 429, description = "Too many wrong current passwords", body = ApiErrorBody),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_user(
    State(s): State<AppState>,
    Caller(v): Caller,
    bearer: Option<Extension<crate::identity::tokens::BearerAuth>>,
    session: Option<Extension<tollgate_app::backend::SessionToken>>,
    client: Option<Extension<tollgate_app::backend::ClientInfo>>,
    Id(id): Id,
    ApiJson(b): ApiJson<UserPatch>,
) -> Result<Json<UserDetail>, AppError> {
    let auth = admin::people::CallerAuth {
        bearer: bearer.is_some(),
        session_token: session.map(|Extension(t)| t.0),
        client_ip: client.and_then(|Extension(c)| c.ip),
    };
    Ok(Json(
        admin::people::patch_user(&s.pool, &s.config, &v, id, b, &auth).await?,
    ))
}

/// Deactivate a user (their sessions and tokens end at once; history keeps their name). Super admins.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    operation_id = "deactivate_user",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The user, inactive", body = UserDetail),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn deactivate_user(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<UserDetail>, AppError> {
    Ok(Json(
        admin::people::deactivate_user(&s.pool, &s.config, &v, id).await?,
    ))
}

/// Create a node under a parent (default: the root). Super admins and the org's admins.
#[utoipa::path(
    post,
    path = "/api/v1/nodes",
    operation_id = "create_node",
    tag = "admin",
    request_body = NewNode,
    responses(
        (status = 201, description = "The node", body = NodeDto),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_node(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<NewNode>,
) -> Result<(StatusCode, Json<NodeDto>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::estate::create_node(&s.pool, &v, b).await?),
    ))
}

/// One node.
#[utoipa::path(
    get,
    path = "/api/v1/nodes/{id}",
    operation_id = "get_node",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The node", body = NodeDto),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_node(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<NodeDto>, AppError> {
    Ok(Json(admin::estate::get_node(&s.pool, &v, id).await?))
}

/// Rename a node or move it under another parent.
#[utoipa::path(
    patch,
    path = "/api/v1/nodes/{id}",
    operation_id = "patch_node",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = NodePatch,
    responses(
        (status = 200, description = "The node", body = NodeDto),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_node(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<NodePatch>,
) -> Result<Json<NodeDto>, AppError> {
    Ok(Json(admin::estate::patch_node(&s.pool, &v, id, b).await?))
}

/// Delete an empty node (no children, no assets).
#[utoipa::path(
    delete,
    path = "/api/v1/nodes/{id}",
    operation_id = "delete_node",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 204, description = "Deleted"),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete_node(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    admin::estate::delete_node(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create an asset under nodes. Super admins and the org's admins.
#[utoipa::path(
    post,
    path = "/api/v1/assets",
    operation_id = "create_asset",
    tag = "admin",
    request_body = NewAsset,
    responses(
        (status = 201, description = "The asset", body = AssetDto),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_asset(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<NewAsset>,
) -> Result<(StatusCode, Json<AssetDto>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::estate::create_asset(&s.pool, &v, b).await?),
    ))
}

/// One asset.
#[utoipa::path(
    get,
    path = "/api/v1/assets/{id}",
    operation_id = "get_asset",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The asset", body = AssetDto),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_asset(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<AssetDto>, AppError> {
    Ok(Json(admin::estate::get_asset(&s.pool, &v, id).await?))
}

/// Change an asset; `nodes` replaces where it sits.
#[utoipa::path(
    patch,
    path = "/api/v1/assets/{id}",
    operation_id = "patch_asset",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = AssetPatch,
    responses(
        (status = 200, description = "The asset", body = AssetDto),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_asset(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<AssetPatch>,
) -> Result<Json<AssetDto>, AppError> {
    Ok(Json(admin::estate::patch_asset(&s.pool, &v, id, b).await?))
}

/// Delete an asset and its accounts.
#[utoipa::path(
    delete,
    path = "/api/v1/assets/{id}",
    operation_id = "delete_asset",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 204, description = "Deleted"),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete_asset(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    admin::estate::delete_asset(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create an account of an asset. Super admins and the org's admins.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    operation_id = "create_account",
    tag = "admin",
    request_body = NewAccount,
    responses(
        (status = 201, description = "The account", body = AccountDto),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn create_account(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<AccountDto>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::estate::create_account(&s.pool, &v, b).await?),
    ))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    operation_id = "get_account",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_account(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<Json<AccountDto>, AppError> {
    Ok(Json(admin::estate::get_account(&s.pool, &v, id).await?))
}

/// Change an account.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{id}",
    operation_id = "patch_account",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    request_body = AccountPatch,
    responses(
        (status = 200, description = "The account", body = AccountDto),
        Conflict,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_account(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<AccountPatch>,
) -> Result<Json<AccountDto>, AppError> {
    Ok(Json(
        admin::estate::patch_account(&s.pool, &v, id, b).await?,
    ))
}

/// Delete an account.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{id}",
    operation_id = "delete_account",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The id")),
    responses(
        (status = 204, description = "Deleted"),
        Conflict,
        Invalid,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn delete_account(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    admin::estate::delete_account(&s.pool, &v, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The settings (every signed-in user reads them: the request form uses the default period).
#[utoipa::path(
    get,
    path = "/api/v1/settings",
    operation_id = "get_settings",
    tag = "admin",
    responses(
        (status = 200, description = "The settings", body = SettingsDto),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn get_settings(
    State(s): State<AppState>,
    Caller(_v): Caller,
) -> Result<Json<SettingsDto>, AppError> {
    Ok(Json(admin::settings::get(&s.pool).await?))
}

/// Change settings. Super admins.
#[utoipa::path(
    patch,
    path = "/api/v1/settings",
    operation_id = "patch_settings",
    tag = "admin",
    request_body = SettingsPatch,
    responses(
        (status = 200, description = "The settings", body = SettingsDto),
        Conflict,
        NotFound,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn patch_settings(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiJson(b): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsDto>, AppError> {
    Ok(Json(admin::settings::patch(&s.pool, &v, b).await?))
}

/// Bulk import of nodes, assets and accounts into an org: JSON (`{"rows": [...]}` or a bare
/// array) or `text/csv` with a header row (columns `path, asset, address, platform, account,
/// username`). All or nothing: one refused row and nothing is written (422, the report in
/// `details`, the first refused row in `field`). At most 10,000 rows, 4 MiB, paths of 32
/// levels below the root and 5,000 new nodes. The report counts what was made and names the
/// first 50 of each kind (and the first 50 refused rows).
#[utoipa::path(
    post,
    path = "/api/v1/import",
    operation_id = "import_estate",
    tag = "admin",
    params(ImportQuery),
    request_body(content = ImportBody, description = "JSON rows, or text/csv"),
    responses(
        (status = 200, description = "What was created (nothing on a dry run)", body = ImportReport),
        (status = 413, description = "A body over 4 MiB", body = ApiErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ApiErrorBody),
        (status = 422, description = "Refused rows, or too many; nothing imported", body = ApiErrorBody),
        UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn import_estate(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<ImportReport>, AppError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let csv = ct.starts_with("text/csv") || ct.starts_with("text/plain");
    if !csv && !ct.starts_with("application/json") {
        return Err(AppError::new(
            415,
            "unsupported_media_type",
            "Send the rows as application/json or text/csv.",
        ));
    }
    let bytes = crate::http::middleware::read_body(body, admin::import::MAX_BODY_BYTES).await?;
    let (rows, dry) = if csv {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| AppError::new(400, "bad_request", "The CSV is not UTF-8 text."))?;
        (admin::import::parse_csv(text)?, false)
    } else {
        import_json(&bytes)?
    };
    Ok(Json(
        admin::import::run(&s.pool, &v, q.org, rows, dry || q.dry_run).await?,
    ))
}

/// The rows of a JSON import (`{"rows": [...], "dry_run"}` or a bare array) and its
/// `dry_run`. Read row by row: past the row cap it stops there, and a row that does not
/// parse is named.
fn import_json(bytes: &[u8]) -> Result<(Vec<ImportRow>, bool), AppError> {
    use serde::de::{
        DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
    };
    use std::cell::Cell;

    /// Where reading stopped: in row n (1-based), or past the last row allowed.
    #[derive(Clone, Copy)]
    enum At {
        Outside,
        Row(usize),
        TooMany,
    }
    struct Rows<'a>(&'a Cell<At>);
    impl<'de> DeserializeSeed<'de> for Rows<'_> {
        type Value = Vec<ImportRow>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Rows<'_> {
        type Value = Vec<ImportRow>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut rows = Vec::new();
            loop {
                if rows.len() == admin::import::MAX_ROWS {
                    if seq.next_element::<IgnoredAny>()?.is_some() {
                        self.0.set(At::TooMany);
                        return Err(A::Error::custom("too many rows"));
                    }
                    break;
                }
                self.0.set(At::Row(rows.len() + 1));
                match seq.next_element::<ImportRow>()? {
                    Some(r) => rows.push(r),
                    None => break,
                }
            }
            self.0.set(At::Outside);
            Ok(rows)
        }
    }
    /// `{"rows": [...], "dry_run": bool}` (other keys are ignored, as in [`ImportBody`]).
    struct Body<'a>(&'a Cell<At>);
    impl<'de> Visitor<'de> for Body<'_> {
        type Value = (Vec<ImportRow>, bool);
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("{\"rows\": [...]} or an array of rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Ok((Rows(self.0).visit_seq(seq)?, false))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut rows, mut dry_run) = (None, false);
            while let Some(k) = map.next_key::<String>()? {
                match k.as_str() {
                    "rows" if rows.is_none() => rows = Some(map.next_value_seed(Rows(self.0))?),
                    "rows" => return Err(A::Error::duplicate_field("rows")),
                    "dry_run" => dry_run = map.next_value()?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok((
                rows.ok_or_else(|| A::Error::missing_field("rows"))?,
                dry_run,
            ))
        }
    }
    let at = Cell::new(At::Outside);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = de
        .deserialize_any(Body(&at))
        .and_then(|v| de.end().map(|()| v));
    match read {
        Ok(v) => Ok(v),
        Err(e) if (e.is_syntax() || e.is_eof()) && !super::extract::is_json(bytes) => {
            Err(AppError::new(
                400,
                "malformed_json",
                format!("The body is not valid JSON: {e}"),
            ))
        }
        Err(e) => Err(match at.get() {
            At::TooMany => admin::import::too_many_rows(),
            At::Row(n) => AppError::invalid(
                &format!("rows[{n}]"),
                format!("Row {n}: {e}; nothing was imported."),
            ),
            At::Outside => AppError::invalid(
                "body",
                "Send {\"rows\": [{\"path\", \"asset\", \"address\", \"platform\", \"account\", \"username\"}]}.",
            ),
        }),
    }
}

/// Tickets opened in a date range and every event of each, as CSV (one line per event).
/// Super admins: every org; org admins and auditors: their orgs.
#[utoipa::path(
    get,
    path = "/api/v1/audit/tickets.csv",
    operation_id = "audit_tickets_csv",
    tag = "admin",
    params(AuditQuery),
    responses(
        (status = 200, description = "CSV: serial, ticket_id, type, title, org, applicant, state, created_at, event_at, event, actor, level, comment, diff", content_type = "text/csv", body = String),
        (status = 422, description = "A bad date range", body = ApiErrorBody),
        UnknownOrg,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn audit_tickets_csv(
    State(s): State<AppState>,
    Caller(v): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<impl IntoResponse, AppError> {
    let csv =
        admin::audit::tickets_csv(&s.pool, &v, q.from.as_deref(), q.to.as_deref(), q.org).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tollgate-tickets.csv\"",
            ),
        ],
        csv,
    ))
}
