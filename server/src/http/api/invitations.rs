//! The caller's invitations to orgs: an org admin who adds someone not yet in their org only
//! invites them; the person accepts or declines here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tollgate_app::admin_dto::InvitationDto;
use tollgate_app::AppError;

use super::extract::{Caller, Id};
use super::responses::UnknownInvitation;
use crate::usecases::admin;
use crate::AppState;

/// The invitations waiting for the caller, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/invitations",
    operation_id = "my_invitations",
    tag = "auth",
    responses(
        (status = 200, description = "Invitations to orgs", body = Vec<InvitationDto>),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn list(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Result<Json<Vec<InvitationDto>>, AppError> {
    Ok(Json(admin::people::my_invitations(&s.pool, &v).await?))
}

/// Accept an invitation: the caller becomes a member of the org, with the invited role.
#[utoipa::path(
    post,
    path = "/api/v1/me/invitations/{id}/accept",
    operation_id = "accept_invitation",
    tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "The org")),
    responses(
        (status = 204, description = "Joined"),
        UnknownInvitation,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn accept(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(org): Id,
) -> Result<StatusCode, AppError> {
    admin::people::answer_invitation(&s.pool, &v, org, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decline an invitation.
#[utoipa::path(
    delete,
    path = "/api/v1/me/invitations/{id}",
    operation_id = "decline_invitation",
    tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "The org")),
    responses(
        (status = 204, description = "Declined"),
        UnknownInvitation,
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn decline(
    State(s): State<AppState>,
    Caller(v): Caller,
    Id(org): Id,
) -> Result<StatusCode, AppError> {
    admin::people::answer_invitation(&s.pool, &v, org, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
