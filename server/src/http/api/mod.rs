//! The REST API under `/api/v1` (SPEC §8). Handlers parse, call a use-case, and answer JSON;
//! every failure is an [`AppError`] with the right status.

pub mod acls;
pub mod admin;
pub mod auth;
pub mod delegations;
pub mod directory;
pub mod extract;
pub mod flows;
pub mod gateway;
pub mod grants;
pub mod invitations;
pub mod live;
pub mod notifications;
pub mod openapi;
pub mod passkeys;
pub mod responses;
pub mod second_factor;
pub mod service_tokens;
pub mod sso;
pub mod templates;
pub mod tickets;
pub mod tokens;
pub mod webhooks;

use axum::routing::{delete, get, patch, post};
use axum::Router;
use tollgate_app::AppError;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/pending", get(auth::pending))
        .route("/auth/pending/withdraw", post(auth::withdraw_pending))
        .route("/auth/pending/leave", post(auth::leave_pending))
        .route("/me", get(auth::me))
        .route("/me/invitations", get(invitations::list))
        .route("/me/invitations/{id}", delete(invitations::decline))
        .route("/me/invitations/{id}/accept", post(invitations::accept))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/tickets", get(tickets::list).post(tickets::open))
        .route("/tickets/bulk", post(tickets::bulk))
        .route("/tickets/inbox-count", get(tickets::inbox_count))
        .route("/tickets/{id}", get(tickets::get))
        .route("/tickets/{id}/approve", post(tickets::approve))
        .route("/tickets/{id}/reject", post(tickets::reject))
        .route("/tickets/{id}/close", post(tickets::close))
        .route(
            "/tickets/{id}/comments",
            get(tickets::comments).post(tickets::add_comment),
        )
        .route("/tickets/{id}/events", get(tickets::events))
        .route("/tickets/{id}/decision", get(live::decision))
        .route("/events", get(live::events))
        .route("/orgs", get(directory::orgs))
        .route(
            "/orgs/{id}/templates",
            get(templates::list).post(templates::create),
        )
        .route("/orgs/{id}/templates/{template}", delete(templates::delete))
        .route("/nodes", get(directory::nodes))
        .route("/assets", get(directory::assets))
        .route("/accounts", get(directory::accounts))
        .route("/users", get(directory::users))
        .route(
            "/users/{id}/delegations",
            get(delegations::list).post(delegations::create),
        )
        .route(
            "/users/{id}/delegations/{delegation}",
            delete(delegations::end),
        )
        .route("/flows", get(flows::list))
        .route(
            "/flows/{scope}/{type}",
            get(flows::get).put(flows::put).delete(flows::delete),
        )
        .route("/flows/{scope}/{type}/preview", get(flows::preview))
        .route("/grants", get(grants::list))
        .route("/grants/check", get(grants::check))
        .route(
            "/grants/{id}",
            get(grants::get).merge(delete(grants::revoke)),
        )
        .route("/grants/{id}/revoke", post(grants::revoke_with_reason))
        .route("/notifications", get(notifications::list))
        .route(
            "/notifications/unread-count",
            get(notifications::unread_count),
        )
        .route("/notifications/read", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read_one))
        .route("/auth/second-factor", post(auth::second_factor))
        .route("/auth/set-up/totp", post(auth::set_up_totp))
        .route("/auth/set-up/confirm", post(auth::set_up_confirm))
        .route("/me/second-factor", get(second_factor::status))
        .route("/me/second-factor/totp", post(second_factor::begin))
        .route(
            "/me/second-factor/totp/confirm",
            post(second_factor::confirm),
        )
        .route("/me/second-factor/remove", post(second_factor::remove))
        .route("/me/second-factor/verify", post(passkeys::verify))
        .route(
            "/me/second-factor/passkey-challenge",
            post(passkeys::challenge),
        )
        .route("/me/passkeys", post(passkeys::register))
        .route("/me/passkeys/options", post(passkeys::options))
        .route(
            "/me/passkeys/{id}",
            patch(passkeys::rename).delete(passkeys::remove),
        )
        .route("/auth/passkey-challenge", post(auth::passkey_challenge))
        .route(
            "/users/{id}/second-factor",
            get(second_factor::of_user).delete(second_factor::reset),
        )
        .route("/sign-in/options", get(sso::options))
        .route(
            "/sign-in/settings",
            get(sso::get_settings).put(sso::put_settings),
        )
        .route(
            "/sign-in/mappings",
            get(sso::list_mappings).post(sso::create_mapping),
        )
        .route("/sign-in/mappings/{id}", delete(sso::delete_mapping))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/send-again",
            post(webhooks::send_again),
        )
        .route(
            "/acls/login",
            get(acls::login::list).post(acls::login::create),
        )
        .route(
            "/acls/login/{id}",
            get(acls::login::get)
                .patch(acls::login::patch)
                .put(acls::login::put)
                .delete(acls::login::delete),
        )
        .route(
            "/acls/login-asset",
            get(acls::login_asset::list).post(acls::login_asset::create),
        )
        .route(
            "/acls/login-asset/{id}",
            get(acls::login_asset::get)
                .patch(acls::login_asset::patch)
                .put(acls::login_asset::put)
                .delete(acls::login_asset::delete),
        )
        .route(
            "/acls/command-filter",
            get(acls::command_filter::list).post(acls::command_filter::create),
        )
        .route(
            "/acls/command-filter/{id}",
            get(acls::command_filter::get)
                .patch(acls::command_filter::patch)
                .put(acls::command_filter::put)
                .delete(acls::command_filter::delete),
        )
        .route(
            "/service-tokens",
            get(service_tokens::list).post(service_tokens::create),
        )
        .route("/service-tokens/{id}", delete(service_tokens::revoke))
        .route("/gateway/login-asset", post(gateway::login_asset))
        .route("/gateway/command", post(gateway::command))
        // Administration (issue 8).
        .route("/admin/orgs", get(admin::admin_list_orgs))
        .route("/admin/users", get(admin::admin_list_users))
        .route("/orgs", post(admin::create_org))
        .route(
            "/orgs/{id}",
            get(admin::get_org)
                .patch(admin::patch_org)
                .delete(admin::delete_org),
        )
        .route(
            "/orgs/{id}/members",
            get(admin::list_members).put(admin::put_member),
        )
        .route("/orgs/{id}/members/{user_id}", delete(admin::remove_member))
        .route("/users", post(admin::create_user))
        .route(
            "/users/{id}",
            get(admin::get_user)
                .patch(admin::patch_user)
                .delete(admin::deactivate_user),
        )
        .route("/nodes", post(admin::create_node))
        .route(
            "/nodes/{id}",
            get(admin::get_node)
                .patch(admin::patch_node)
                .delete(admin::delete_node),
        )
        .route("/assets", post(admin::create_asset))
        .route(
            "/assets/{id}",
            get(admin::get_asset)
                .patch(admin::patch_asset)
                .delete(admin::delete_asset),
        )
        .route("/accounts", post(admin::create_account))
        .route(
            "/accounts/{id}",
            get(admin::get_account)
                .patch(admin::patch_account)
                .delete(admin::delete_account),
        )
        .route("/import", post(admin::import_estate))
        .route(
            "/settings",
            get(admin::get_settings).patch(admin::patch_settings),
        )
        .route("/audit/tickets.csv", get(admin::audit_tickets_csv))
        .fallback(|| async { AppError::not_found("API endpoint") })
}
