//! The frame of every signed-in page: the top bar with the navigation and who is signed in.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::auth::{current_user, SignOut};
use crate::error::AppError;
use crate::model::Viewer;

/// The signed-in viewer, loaded once per page and shared with every page below the layout.
pub type ViewerResource = Resource<Result<Option<Viewer>, AppError>>;

/// On a ticket's page, whose side the viewer is on: `true` when they asked for it (the menu
/// marks "My applications"), `false` when they decide or watch it ("Approvals"). Set by the
/// ticket page, `None` elsewhere.
#[derive(Clone, Copy)]
pub struct TicketSide(pub RwSignal<Option<bool>>);

/// How many tickets wait for the viewer; pages that decide tickets refetch it.
#[derive(Clone, Copy)]
pub struct InboxCount(pub Resource<Result<i64, AppError>>);

#[component]
pub fn Layout() -> impl IntoView {
    let me: ViewerResource = Resource::new(|| (), |_| current_user());
    provide_context(me);
    let location = leptos_router::hooks::use_location();
    let side = TicketSide(RwSignal::new(None));
    provide_context(side);
    // "My applications" is the ticket list and the viewer's own tickets; "Approvals" the inbox
    // and the tickets they decide.
    let path = location.pathname;
    let on_ticket = move || path.with(|p| p.starts_with("/tickets/") && p != "/tickets/new");
    let mine_current = move || {
        let here = path.with(|p| p.starts_with("/tickets"));
        (here && !(on_ticket() && side.0.get() == Some(false))).then_some("page")
    };
    let approvals_current = move || {
        (path.with(|p| p.starts_with("/inbox")) || (on_ticket() && side.0.get() == Some(false)))
            .then_some("page")
    };
    let live = crate::live::LiveTick::new();
    provide_context(live);
    // Counted anew on every navigation and every live event, so the badge follows decisions
    // made on other pages, in other tabs and by other people.
    let count = Resource::new(
        move || (location.pathname.get(), live.tick.get()),
        |_| crate::api::inbox_count(),
    );
    provide_context(InboxCount(count));
    let unread = Resource::new(
        move || (location.pathname.get(), live.tick.get()),
        |_| crate::api::unread_notifications(),
    );
    provide_context(UnreadNotifications(unread));
    // One stream per page load (an Effect runs in the browser only).
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            #[cfg(feature = "hydrate")]
            crate::live::connect(live);
        }
    });
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            crate::hard_navigate("/login");
        }
    });

    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">
                    <Logo />
                    <span>"Tollgate"</span>
                </a>
                <nav class="mainnav" aria-label="Main">
                    <a href="/tickets" aria-current=mine_current>"My applications"</a>
                    <a href="/inbox" aria-current=approvals_current>
                        "Approvals"
                        <Transition fallback=|| ()>
                            {move || {
                                count
                                    .get()
                                    .and_then(|r| r.ok())
                                    .filter(|n| *n > 0)
                                    .map(|n| view! {
                                        <span class="count-badge" data-testid="inbox-badge" aria-label=format!("{n} waiting")>{n}</span>
                                    })
                            }}
                        </Transition>
                    </a>
                    <A href="/grants">"Grants"</A>
                    <Transition fallback=|| ()>
                        {move || {
                            me.get()
                                .and_then(|r| r.ok().flatten())
                                .filter(|v| {
                                    v.is_super_admin()
                                        || v.orgs.iter().any(|m| m.role == tollgate_core::OrgRole::OrgAdmin)
                                })
                                .map(|_| view! { <A href="/flows">"Flows"</A> <A href="/acls">"Rules"</A> })
                        }}
                    </Transition>
                    <A href="/admin">"Admin"</A>
                </nav>
                <div class="who">
                    <a class="bell" href="/notifications" title="Notifications" aria-label="Notifications">
                        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                            <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
                            <path d="M13.7 21a2 2 0 0 1-3.4 0" />
                        </svg>
                        <Transition fallback=|| ()>
                            {move || {
                                unread
                                    .get()
                                    .and_then(|r| r.ok())
                                    .filter(|n| *n > 0)
                                    .map(|n| view! {
                                        <span class="count-badge bell-badge" data-testid="notif-badge" aria-label=format!("{n} unread")>{if n > 99 { "99+".to_string() } else { n.to_string() }}</span>
                                    })
                            }}
                        </Transition>
                    </a>
                    <Transition fallback=|| ()>
                        {move || {
                            me.get()
                                .and_then(|r| r.ok().flatten())
                                .map(|v| {
                                    let role = if v.is_super_admin() { "super admin" } else { "" };
                                    view! {
                                        <a class="who-link" href="/security" title="Security: your second factor" aria-label="Security: your second factor">
                                            <span class="avatar" aria-hidden="true">
                                                {initials(&v.display_name)}
                                            </span>
                                            <span class="who-text">
                                                <span class="user-name" data-testid="user-name">
                                                    {v.display_name.clone()}
                                                </span>
                                                <span class="user-role">{role}</span>
                                            </span>
                                        </a>
                                    }
                                })
                        }}
                    </Transition>
                    <ActionForm action=sign_out attr:class="signout">
                        <button type="submit" class="btn btn-ghost btn-sm">
                            "Sign out"
                        </button>
                    </ActionForm>
                </div>
            </header>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// The Tollgate mark: a gate with a raised barrier.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect x="3" y="6" width="5" height="22" rx="1.5" fill="currentColor" />
            <rect x="24" y="6" width="5" height="22" rx="1.5" fill="currentColor" opacity="0.55" />
            <path d="M8 14 L27 5" stroke="#f59e0b" stroke-width="3.5" stroke-linecap="round" />
        </svg>
    }
}

/// "Alice Liddell" → "AL".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// Unread notifications of the viewer (the bell); the notifications page refetches it.
#[derive(Clone, Copy)]
pub struct UnreadNotifications(pub Resource<Result<i64, AppError>>);
