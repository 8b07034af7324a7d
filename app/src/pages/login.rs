//! Sign in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::SignIn;
use crate::layout::Logo;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    Effect::new(move |_| {
        if let Some(Ok(dest)) = action.value().get() {
            crate::hard_navigate(&dest);
        }
    });
    let error = move || {
        action.value().get().and_then(|r| r.err()).map(|e| {
            view! {
                <p class="form-error" role="alert" data-testid="login-error">
                    {e.message}
                </p>
            }
        })
    };

    view! {
        <Title text="Sign in" />
        <div class="auth-page">
            <div class="auth-card">
                <div class="auth-brand">
                    <Logo />
                    <span>"Tollgate"</span>
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"Privileged access, approved."</p>
                <ActionForm action=action>
                    <input type="hidden" name="next" prop:value=next />
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input
                            id="username"
                            name="username"
                            autocomplete="username"
                            required
                            autofocus
                        />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            required
                        />
                    </div>
                    {error}
                    <button
                        type="submit"
                        class="btn btn-primary btn-block"
                        disabled=move || action.pending().get()
                    >
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}
