//! Tollgate's pages: server-rendered by the `server` crate, hydrated in the browser by
//! `frontend`. Server functions parse, call the [`backend::Backend`] the server provides,
//! and map the result; no SQL lives here.

pub mod admin_dto;
pub mod api;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod client;
pub mod components;
pub mod dto;
pub mod error;
pub mod layout;
pub mod model;
pub mod pages;
pub mod passkey;
pub mod picker;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy,
};

pub use error::AppError;

/// The HTML document around the app (server side only renders it).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// A fresh nonce for this page, and the policy that lets only the scripts and styles that
/// carry it run (plus the WASM): nothing injected inline can.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(resp)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        );
        if let Ok(v) = http::HeaderValue::from_str(&policy) {
            resp.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// The application: routes and the frame around them.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="tollgate" href="/pkg/tollgate.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="color-scheme" content="light" />
        <Title formatter=|t: String| if t.is_empty() { "Tollgate".to_string() } else { format!("{t} · Tollgate") } />
        <Router>
            <Routes fallback=|| view! { <pages::NotFound /> }>
                <Route path=path!("/login") view=pages::login::LoginPage />
                <Route path=path!("/login/wait") view=pages::login::LoginWaitPage />
                <Route path=path!("/login/code") view=pages::login::LoginCodePage />
                <Route path=path!("/login/set-up") view=pages::login::LoginSetUpPage />
                <ParentRoute path=path!("") view=layout::Layout>
                    <Route path=path!("") view=pages::tickets::MyApplications />
                    <Route path=path!("/tickets") view=pages::tickets::MyApplications />
                    <Route path=path!("/tickets/new") view={Lazy::<routes::NewRequestRoute>::new()} />
                    <Route path=path!("/tickets/:id") view={Lazy::<routes::TicketRoute>::new()} />
                    <Route path=path!("/inbox") view=pages::tickets::Inbox />
                    <Route path=path!("/grants") view={Lazy::<routes::GrantsRoute>::new()} />
                    <Route path=path!("/flows") view={Lazy::<routes::FlowsRoute>::new()} />
                    <Route path=path!("/flows/:scope/:type") view={Lazy::<routes::FlowEditorRoute>::new()} />
                    <Route path=path!("/notifications") view={Lazy::<routes::NotificationsRoute>::new()} />
                    <Route path=path!("/admin") view={Lazy::<routes::AdminRoute>::new()} />
                    <Route path=path!("/acls") view={Lazy::<routes::AclsRoute>::new()} />
                    <Route path=path!("/security") view={Lazy::<routes::SecurityRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Loads `path` as a fresh page (after signing in or out, so everything is fetched anew).
pub fn hard_navigate(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

pub mod live;
pub mod notifications;
