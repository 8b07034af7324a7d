//! The OpenAPI 3 document of the REST API, served at `/api/openapi.json` (public). It is
//! generated from the handlers' `#[utoipa::path]` attributes and the `ToSchema` derives of
//! the request and response types, so it cannot drift far from the code; the API test
//! `openapi` checks that every route of [`super::routes`] is in it.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::identity::session::COOKIE;

/// Every error answer: `{"error": {"code", "message", "field"?, "details"?}}`.
#[derive(utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// A stable machine code, e.g. `not_found`, `invalid`, `unauthorized`, `invalid_token`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The field a 422 is about.
    pub field: Option<String>,
    /// More, depending on the code.
    pub details: Option<serde_json::Value>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                COOKIE,
                "The browser session, set by POST /api/v1/auth/login.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tgp_…")
                    .description(Some(
                        "A personal API token (POST /api/v1/tokens), as `Authorization: Bearer tgp_…`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Bodies that may be left out (approve, reject, close) are `Option<T>` in the attributes,
/// which utoipa renders as "T or JSON null"; a JSON `null` is not accepted, though: the body
/// is T, and simply not required.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.post, &mut item.put, &mut item.patch];
            for op in ops.into_iter().flatten() {
                let Some(body) = op.request_body.as_mut() else {
                    continue;
                };
                for content in body.content.values_mut() {
                    if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema {
                        let refs: Vec<_> = one
                            .items
                            .iter()
                            .filter(|s| matches!(s, RefOr::Ref(_)))
                            .cloned()
                            .collect();
                        if one.items.len() == 2 && refs.len() == 1 {
                            content.schema = refs.into_iter().next();
                        }
                    }
                }
            }
        }
    }
}

/// The answers any operation may give whatever it does, written once here instead of on every
/// handler: a malformed request (400, from the extractors), not signed in (401) or refused by
/// a sign-in rule (403) where the operation needs a caller, a body too large or of the wrong
/// type (413, 415) where it takes one, and the database out of reach (503). A handler lists
/// only the answers of its own (its 404, 409, 422, a more precise 401 or 403).
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                };
                add(
                    "400",
                    "A malformed request: the JSON body, a query or a path parameter (`bad_request`)",
                );
                if signed_in {
                    add("401", "Not signed in, or a bad bearer token");
                    add(
                        "403",
                        "Not allowed: the caller's role, or a sign-in rule that refuses this session",
                    );
                }
                if path.contains('{') {
                    add("404", "Unknown, or not visible to the caller");
                }
                if has_body {
                    add("422", "An invalid value (see `field`)");
                    add("413", "The body is too large");
                    add(
                        "415",
                        "The body is not JSON (`Content-Type: application/json`)",
                    );
                }
                add("503", "The database cannot be reached; try again");
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tollgate",
        description = "Access requests and approvals. JSON under /api/v1; ids are UUIDs, times RFC 3339.",
    ),
    paths(
        super::auth::login,
        super::auth::logout,
        super::auth::pending,
        super::auth::withdraw_pending,
        super::auth::leave_pending,
        super::auth::me,
        super::tokens::create,
        super::tokens::list,
        super::tokens::revoke,
        super::tickets::list,
        super::tickets::open,
        super::tickets::bulk,
        super::tickets::inbox_count,
        super::tickets::get,
        super::tickets::approve,
        super::tickets::reject,
        super::tickets::close,
        super::tickets::comments,
        super::tickets::add_comment,
        super::tickets::events,
        super::directory::orgs,
        super::directory::nodes,
        super::directory::assets,
        super::directory::accounts,
        super::directory::users,
        super::live::decision,
        super::live::events,
        super::flows::list,
        super::flows::get,
        super::flows::put,
        super::flows::delete,
        super::flows::preview,
        super::invitations::list,
        super::invitations::accept,
        super::invitations::decline,
        super::grants::list,
        super::grants::check,
        super::grants::get,
        super::grants::revoke_with_reason,
        super::grants::revoke,
        super::notifications::list,
        super::notifications::unread_count,
        super::notifications::read_one,
        super::notifications::read_all,
        super::auth::second_factor,
        super::auth::set_up_totp,
        super::auth::set_up_confirm,
        super::second_factor::status,
        super::second_factor::begin,
        super::second_factor::confirm,
        super::second_factor::remove,
        super::second_factor::of_user,
        super::second_factor::reset,
        super::templates::list,
        super::templates::create,
        super::templates::delete,
        super::delegations::list,
        super::delegations::create,
        super::delegations::end,
        super::passkeys::options,
        super::passkeys::register,
        super::passkeys::rename,
        super::passkeys::remove,
        super::passkeys::challenge,
        super::passkeys::verify,
        super::auth::passkey_challenge,
        super::sso::options,
        super::sso::get_settings,
        super::sso::put_settings,
        super::sso::list_mappings,
        super::sso::create_mapping,
        super::sso::delete_mapping,
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::get,
        super::webhooks::update,
        super::webhooks::delete,
        super::webhooks::deliveries,
        super::webhooks::send_again,
        super::acls::login::list,
        super::acls::login::create,
        super::acls::login::get,
        super::acls::login::patch,
        super::acls::login::put,
        super::acls::login::delete,
        super::acls::login_asset::list,
        super::acls::login_asset::create,
        super::acls::login_asset::get,
        super::acls::login_asset::patch,
        super::acls::login_asset::put,
        super::acls::login_asset::delete,
        super::acls::command_filter::list,
        super::acls::command_filter::create,
        super::acls::command_filter::get,
        super::acls::command_filter::patch,
        super::acls::command_filter::put,
        super::acls::command_filter::delete,
        super::service_tokens::create,
        super::service_tokens::list,
        super::service_tokens::revoke,
        super::gateway::login_asset,
        super::gateway::command,
        super::admin::admin_list_orgs,
        super::admin::create_org,
        super::admin::get_org,
        super::admin::patch_org,
        super::admin::delete_org,
        super::admin::list_members,
        super::admin::put_member,
        super::admin::remove_member,
        super::admin::admin_list_users,
        super::admin::create_user,
        super::admin::get_user,
        super::admin::patch_user,
        super::admin::deactivate_user,
        super::admin::create_node,
        super::admin::get_node,
        super::admin::patch_node,
        super::admin::delete_node,
        super::admin::create_asset,
        super::admin::get_asset,
        super::admin::patch_asset,
        super::admin::delete_asset,
        super::admin::create_account,
        super::admin::get_account,
        super::admin::patch_account,
        super::admin::delete_account,
        super::admin::get_settings,
        super::admin::patch_settings,
        super::admin::import_estate,
        super::admin::audit_tickets_csv,
    ),
    components(schemas(
        ApiErrorBody,
        ApiErrorDetail,
        tollgate_app::AppError,
        tollgate_app::dto::Scope
    )),
    modifiers(&Security, &OptionalBodies, &SharedErrors),
    tags(
        (name = "auth", description = "Signing in and out, and who is calling"),
        (name = "tokens", description = "Personal API tokens for scripts"),
        (name = "tickets", description = "Access requests and their approval"),
        (name = "delegations", description = "Out of office: a delegate asked in someone's place for a period"),
        (name = "directory", description = "Orgs, nodes, assets, accounts and users, for pickers"),
        (name = "grants", description = "Access granted by approved tickets"),
        (name = "flows", description = "Approval flows"),
        (name = "notifications", description = "In-app notifications of the caller"),
        (name = "webhooks", description = "Signed event POSTs to other systems (super admins)"),
        (name = "acls", description = "Login, login-asset and command filter ACLs"),
        (name = "gateway", description = "For bastions and SSH proxies, with a service token"),
        (name = "admin", description = "Administration: orgs, people, the estate, import, settings, audit"),
    )
)]
pub struct ApiDoc;

/// The document as JSON, built once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// `GET /api/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
