//! Choosing one's own password: a person made without one (by an org admin, or by a super
//! admin who left it empty) gets a one-time link by email, valid three days, and chooses their
//! password at `/welcome/{token}` (the page: http/welcome.rs). Nobody else ever sees the link: only its digest is kept in
//! `password_setups`, and the mail is the person's own notification.

use chrono::{Duration, Utc};
use tollgate_app::AppError;
use uuid::Uuid;

/// How long a set-up link works.
pub const LINK_TTL_HOURS: i64 = 72;

/// Makes the person's set-up link and the notification that mails it to `email`.
pub async fn invite(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    username: &str,
    email: &str,
    by: Uuid,
) -> Result<(), AppError> {
    let token = crate::identity::session::new_token();
    crate::store::users::insert_password_setup(
        db,
        &crate::identity::session::digest(&token),
        user,
        by,
        Utc::now() + Duration::hours(LINK_TTL_HOURS),
    )
    .await?;
    crate::store::users::insert_mailed_notice(
        db,
        user,
        "welcome",
        &format!("Welcome to Tollgate, {username}"),
        &format!(
            "Choose your password with this link (it works once, for {LINK_TTL_HOURS} hours)."
        ),
        &format!("/welcome/{token}"),
        email,
    )
    .await
}
