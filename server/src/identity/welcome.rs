//! Choosing one's own password: a person made without one (by an org admin, or by a super
//! admin who left it empty) gets a one-time link by email, valid three days, and chooses their
//! password at `/welcome/{token}`. Nobody else ever sees the link: only its digest is kept in
//! `password_setups`, and the mail is the person's own notification.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::{Duration, Utc};
use serde::Deserialize;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::jobs::mail::escape;
use crate::AppState;

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

/// The mail links' card page, kept out of caches and referrers: its URL holds the token.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let mut res = crate::jobs::mail::card_page(status, title, body, "welcome");
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    res
}

fn gone() -> Response {
    page(
        StatusCode::GONE,
        "Link no longer valid",
        "<p>This link was used already or has expired. Ask an administrator for a new one.</p>",
    )
}

fn form(username: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"form-error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<p>Choose the password of <strong>{}</strong>.</p>{error}<form method=\"post\">\
         <div class=\"field\"><label for=\"pw\">Password</label><input id=\"pw\" name=\"password\" type=\"password\" minlength=\"8\" required autocomplete=\"new-password\"></div>\
         <div class=\"field\"><label for=\"pw2\">Again</label><input id=\"pw2\" name=\"again\" type=\"password\" minlength=\"8\" required autocomplete=\"new-password\"></div>\
         <button type=\"submit\" class=\"btn btn-primary btn-block\">Set my password</button></form>",
        escape(username)
    )
}

/// `GET /welcome/{token}`: the form, for a live link.
pub async fn show(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match crate::store::users::password_setup_user(
        &s.pool,
        &crate::identity::session::digest(&token),
    )
    .await
    {
        Ok(Some((_, username))) => page(
            StatusCode::OK,
            "Choose your password",
            &form(&username, None),
        ),
        Ok(None) => gone(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct Chosen {
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

/// `POST /welcome/{token}`: sets the password and spends the link.
pub async fn choose(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(c): Form<Chosen>,
) -> Response {
    let digest = crate::identity::session::digest(&token);
    let username = match crate::store::users::password_setup_user(&s.pool, &digest).await {
        Ok(Some((_, u))) => u,
        Ok(None) => return gone(),
        Err(e) => return e.into_response(),
    };
    let n = c.password.chars().count();
    let problem = if !(8..=1024).contains(&n) {
        Some("A password is 8 to 1024 characters.")
    } else if c.password != c.again {
        Some("The two passwords differ.")
    } else {
        None
    };
    if let Some(p) = problem {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose your password",
            &form(&username, Some(p)),
        );
    }
    let hash = match crate::identity::password::hash(c.password).await {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    match crate::store::users::use_password_setup(&s.pool, &digest, &hash).await {
        Ok(true) => {
            tracing::info!(user = %username, "password chosen through a set-up link");
            page(
                StatusCode::OK,
                "Password set",
                "<p>Your password is set.</p><p><a class=\"btn btn-primary btn-block\" href=\"/login\">Sign in</a></p>",
            )
        }
        Ok(false) => gone(),
        Err(e) => e.into_response(),
    }
}
