//! `/welcome/{token}`: the page where a person chooses their password with the one-time link
//! made by identity/welcome.rs (`invite`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::jobs::mail::escape;
use crate::AppState;

/// The mail links' card page, kept out of caches and referrers: its URL holds the token.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let mut res = crate::http::mail_links::card_page(status, title, body, "welcome");
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
