//! `/api/v1/gateway/…`: what a bastion or SSH proxy asks, with its service token.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;

use super::extract::ApiJson;
use super::openapi::ApiErrorBody;
use super::responses::GatewayOnly;
use crate::identity::service_tokens::Gateway;
use crate::usecases::gateway::{self, CommandQuestion, GatewayDecision, LoginAssetQuestion};
use crate::AppState;

/// Who is calling: a user (session or personal token) or a gateway (service token).
pub enum Principal {
    User(Viewer),
    Gateway(Gateway),
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(g) = parts.extensions.get::<Gateway>() {
            return Ok(Principal::Gateway(g.clone()));
        }
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .map(Principal::User)
            .ok_or_else(AppError::unauthorized)
    }
}

/// The calling gateway; users get 403.
pub struct GatewayCaller(pub Gateway);

impl<S: Send + Sync> FromRequestParts<S> for GatewayCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(g) = parts.extensions.get::<Gateway>() {
            return Ok(GatewayCaller(g.clone()));
        }
        if parts.extensions.get::<Viewer>().is_some() {
            return Err(AppError::forbidden(
                "The gateway API takes a service token (tgs_…), not a user's sign-in.",
            ));
        }
        Err(AppError::unauthorized())
    }
}

/// May this user connect to this asset as this account? The org's login-asset ACLs decide;
/// `review` opens a `login_asset_confirm` ticket to wait on. The asset (and the org, if
/// given) is looked up only within the orgs the service token serves.
#[utoipa::path(
    post,
    path = "/api/v1/gateway/login-asset",
    operation_id = "gateway_login_asset",
    tag = "gateway",
    request_body = LoginAssetQuestion,
    responses(
        (status = 200, description = "The decision", body = GatewayDecision),
        (status = 422, description = "Unknown user, or an asset or org unknown to this token (`invalid` on `user`, `asset`, `org`); an asset name several of the token's orgs use (`ambiguous_asset` on `org`, `details.orgs` lists them: name the org); or a bad account", body = ApiErrorBody),
        GatewayOnly,
    ),
    security(("bearer" = []))
)]
pub async fn login_asset(
    State(s): State<AppState>,
    GatewayCaller(g): GatewayCaller,
    ApiJson(q): ApiJson<LoginAssetQuestion>,
) -> Result<Json<GatewayDecision>, AppError> {
    Ok(Json(
        gateway::ask_login_asset(&s.pool, s.live.acls(), &s.config.public_url(), &g, q).await?,
    ))
}

/// May this user run this command on this asset as this account? The org's command filter
/// ACLs decide; `review` opens a `command_confirm` ticket to wait on. The asset (and the org,
/// if given) is looked up only within the orgs the service token serves.
#[utoipa::path(
    post,
    path = "/api/v1/gateway/command",
    operation_id = "gateway_command",
    tag = "gateway",
    request_body = CommandQuestion,
    responses(
        (status = 200, description = "The decision", body = GatewayDecision),
        (status = 422, description = "Unknown user, or an asset or org unknown to this token (`invalid` on `user`, `asset`, `org`); an asset name several of the token's orgs use (`ambiguous_asset` on `org`, `details.orgs` lists them: name the org); or a bad account or command", body = ApiErrorBody),
        GatewayOnly,
    ),
    security(("bearer" = []))
)]
pub async fn command(
    State(s): State<AppState>,
    GatewayCaller(g): GatewayCaller,
    ApiJson(q): ApiJson<CommandQuestion>,
) -> Result<Json<GatewayDecision>, AppError> {
    Ok(Json(
        gateway::ask_command(&s.pool, s.live.acls(), &s.config.public_url(), &g, q).await?,
    ))
}
