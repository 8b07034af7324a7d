//! The landing page after sign-in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::layout::ViewerResource;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = expect_context::<ViewerResource>();
    let name = move || {
        me.get()
            .and_then(|r| r.ok().flatten())
            .map(|v| v.display_name)
            .unwrap_or_default()
    };
    view! {
        <Title text="Home" />
        <div class="page-head">
            <h1>
                "Welcome, "
                <Transition fallback=|| ()>{name}</Transition>
            </h1>
        </div>
        <p class="muted">"Request time-bound access to servers and databases, and review what others ask for."</p>
    }
}
