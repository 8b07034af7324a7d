//! The pages that are loaded on demand: each one's code is split out of the main WASM
//! (`scripts/build.sh` runs `wasm-split-cli`) and fetched when the route is first visited, so
//! the first load carries only the shell, the lists and sign-in. On the server they render
//! as any other page.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::pages;

macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                use $page as Page;
                view! { <Page /> }.into_any()
            }
        }
    };
}

lazy_page!(/// A ticket.
    TicketRoute => pages::ticket::TicketPage);
lazy_page!(/// New request.
    NewRequestRoute => pages::new_request::NewRequest);
lazy_page!(/// Grants.
    GrantsRoute => pages::grants::GrantsPage);
lazy_page!(/// Flows, the list.
    FlowsRoute => pages::flows::FlowsPage);
lazy_page!(/// The flow editor.
    FlowEditorRoute => pages::flows::FlowEditorPage);
lazy_page!(/// Notifications.
    NotificationsRoute => pages::notifications::NotificationsPage);
lazy_page!(/// Administration.
    AdminRoute => pages::admin::AdminPage);
lazy_page!(/// Security (the second factor).
    SecurityRoute => pages::security::SecurityPage);
lazy_page!(/// Rules (ACLs).
    AclsRoute => pages::acls::AclsPage);
