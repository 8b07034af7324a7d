//! One module per page.

pub mod acls;
pub mod admin;
pub mod away;
pub mod flows;
pub mod grants;
pub mod login;
pub mod new_request;
pub mod security;
pub mod ticket;
pub mod tickets;

use leptos::prelude::*;

/// Shown for any URL the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="empty-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="btn" href="/">"Go home"</a>
        </div>
    }
}

pub mod notifications;
