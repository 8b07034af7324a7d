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

    let options = Resource::new(|| (), |_| crate::auth::sign_in_options());
    let sso = move || {
        let next = next();
        options.get().and_then(|r| r.ok()).and_then(|o| {
            let note = o.password_super_admins_only.then(|| {
                view! {
                    <p class="muted small" data-testid="password-note">
                        "The form below is for super admins' break-glass accounts."
                    </p>
                }
            });
            o.oidc_button.map(|label| {
                view! {
                    <a
                        class="btn btn-primary btn-block"
                        data-testid="sso-button"
                        rel="external"
                        href=format!("/auth/oidc/start?next={}", crate::components::enc(&next))
                    >
                        {label}
                    </a>
                    <div class="auth-or">
                        <span>"or"</span>
                    </div>
                    {note}
                }
            })
        })
    };
    let username_label = move || {
        if options.get().and_then(|r| r.ok()).is_some_and(|o| o.ldap) {
            "Username (directory or Tollgate)"
        } else {
            "Username"
        }
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
                <Suspense fallback=|| ()>{sso}</Suspense>
                <ActionForm action=action>
                    <input type="hidden" name="next" prop:value=next />
                    <div class="field">
                        <label for="username">
                            <Suspense fallback=|| "Username">{username_label}</Suspense>
                        </label>
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

/// The held sign-in: waits for a reviewer and goes on the moment they decide (a long poll
/// that the server answers when any instance commits the decision). Leaving the page
/// withdraws the request.
#[component]
pub fn LoginWaitPage() -> impl IntoView {
    use crate::auth::{sign_in_status, withdraw_sign_in};
    use crate::dto::PendingSignIn;
    use crate::error::AppError;

    let query = use_query_map();
    let next = move || crate::model::safe_next(&query.read().get("next").unwrap_or_default());
    // What the server knew when it rendered the page; then what the long poll learns.
    let initial = Resource::new(|| (), |_| sign_in_status(0));
    let latest = RwSignal::new(None::<Result<PendingSignIn, AppError>>);
    let current = move || latest.get().or_else(|| initial.get());
    let leaving_on_purpose = RwSignal::new(false);

    // Leaving the page (closing the tab, going elsewhere) withdraws the request; the beacon
    // outlives the page. A reload fires `pagehide` too: the server waits a few seconds for the
    // reloaded page to ask again before it withdraws. Not once the outcome is known.
    let _leave = window_event_listener(leptos::ev::pagehide, move |_| {
        let over = leaving_on_purpose.get_untracked()
            || matches!(latest.get_untracked(), Some(Ok(ref p)) if p.decided)
            || matches!(latest.get_untracked(), Some(Err(_)));
        if !over {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().send_beacon("/api/v1/auth/pending/leave");
            }
        }
    });

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            loop {
                match sign_in_status(25).await {
                    Ok(p) if p.signed_in => {
                        leaving_on_purpose.set(true);
                        latest.set(Some(Ok(p)));
                        crate::hard_navigate(&next());
                        return;
                    }
                    Ok(p) => {
                        let decided = p.decided;
                        latest.set(Some(Ok(p)));
                        if decided {
                            return;
                        }
                    }
                    Err(e) if e.status == 404 || e.status == 401 || e.status == 403 => {
                        latest.set(Some(Err(e)));
                        return;
                    }
                    // The server restarted or the network blinked: ask again shortly.
                    Err(_) => gloo_net_sleep(2000).await,
                }
            }
        });
    });

    #[cfg(not(feature = "hydrate"))]
    let _ = next;

    let cancel = Action::new(move |_: &()| async move {
        leaving_on_purpose.set(true);
        let _ = withdraw_sign_in().await;
        crate::hard_navigate("/login");
    });

    view! {
        <Title text="Waiting for approval" />
        <div class="auth-page">
            <div class="auth-card wait-card" data-testid="login-wait">
                <div class="auth-brand">
                    <Logo />
                    <span>"Tollgate"</span>
                </div>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || current().map(|r| match r {
                        Err(e) => view! {
                            <h1>"No sign-in is waiting"</h1>
                            <p class="form-error" role="alert" data-testid="wait-error">{e.message}</p>
                            <a class="btn btn-primary btn-block" href="/login">"Back to sign in"</a>
                        }.into_any(),
                        Ok(p) => wait_view(p, cancel).into_any(),
                    })}
                </Suspense>
            </div>
        </div>
    }
}

fn wait_view(p: crate::dto::PendingSignIn, cancel: Action<(), ()>) -> impl IntoView {
    use tollgate_core::TicketState;
    let reviewers = if p.reviewers.is_empty() {
        "a reviewer".to_string()
    } else {
        p.reviewers.join(", ")
    };
    let state = p.state.as_str();
    let head = match p.state {
        TicketState::Pending => "Waiting for approval",
        TicketState::Approved => "Approved",
        _ => "Sign-in refused",
    };
    let pending = p.state == TicketState::Pending;
    let approved = p.state == TicketState::Approved;
    view! {
        <h1 data-testid="wait-state" data-state=state>{head}</h1>
        {pending.then(|| view! {
            <div class="wait-pulse" aria-hidden="true"><span></span></div>
            <p class="muted">
                "Your sign-in as " <strong>{p.username.clone()}</strong>
                " needs a reviewer's approval (rule " <strong>{p.rule.clone()}</strong>
                "). This page goes on by itself the moment someone decides."
            </p>
            <dl class="wait-facts">
                <dt>"Request"</dt><dd data-testid="wait-serial">{p.serial.clone()}</dd>
                <dt>"Asked"</dt><dd>{reviewers.clone()}</dd>
                <dt>"From"</dt><dd>{p.ip.clone().unwrap_or_else(|| "unknown address".into())}</dd>
                <dt>"Expires"</dt><dd>{crate::components::fmt_time(p.expires_at)}</dd>
            </dl>
            <p class="muted small">"Leaving this page withdraws the request."</p>
            <button
                class="btn btn-block"
                data-testid="wait-cancel"
                on:click=move |_| { cancel.dispatch(()); }
                disabled=move || cancel.pending().get()
            >
                "Cancel sign-in"
            </button>
        })}
        {approved.then(|| view! {
            <p class="form-ok" role="status" data-testid="wait-reason">
                {p.reason.clone().unwrap_or_default()} " Signing you in…"
            </p>
        })}
        {(!pending && !approved).then(|| view! {
            <p class="form-error" role="alert" data-testid="wait-reason">
                {p.reason.clone().unwrap_or_default()}
            </p>
            <p class="muted small">"Request " {p.serial.clone()}</p>
            <a class="btn btn-primary btn-block" href="/login">"Back to sign in"</a>
        })}
    }
}

/// Waits `ms` milliseconds in the browser.
#[cfg(feature = "hydrate")]
async fn gloo_net_sleep(ms: u32) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tx.send(());
        },
        std::time::Duration::from_millis(ms as u64),
    );
    let _ = rx.await;
}

/// The second step of a sign-in with a second factor: a code of the authenticator app, or a
/// recovery code.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let action = ServerAction::<crate::auth::SignInCode>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    // A passkey's assertion goes where the code goes, at once.
    let passkey = RwSignal::new(String::new());
    Effect::new(move |_| {
        let code = passkey.get();
        if crate::passkey::is_assertion(&code) {
            passkey.set(String::new());
            action.dispatch(crate::auth::SignInCode { code, next: next() });
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(dest)) = action.value().get() {
            crate::hard_navigate(&dest);
        }
    });
    let error = move || {
        action.value().get().and_then(|r| r.err()).map(|e| {
            let gone = e.status == 404;
            view! {
                <p class="form-error" role="alert" data-testid="login-error">
                    {e.message}
                    {gone.then(|| view! { " " <a href="/login">"Sign in again"</a> })}
                </p>
            }
        })
    };
    view! {
        <Title text="Your code" />
        <div class="auth-page">
            <div class="auth-card">
                <div class="auth-brand">
                    <Logo />
                    <span>"Tollgate"</span>
                </div>
                <h1>"Your code"</h1>
                <p class="muted">"Type the code your authenticator app shows for Tollgate, or use one of your passkeys."</p>
                <ActionForm action=action>
                    <input type="hidden" name="next" prop:value=next />
                    <div class="field">
                        <label for="code">"Code"</label>
                        <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code"
                            required autofocus maxlength="64" />
                        <span class="hint">"Lost your phone? A recovery code works here too, once."</span>
                    </div>
                    {error}
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Checking…" } else { "Continue" }}
                    </button>
                </ActionForm>
                <div class="auth-alt">
                    <span class="muted small">"Or with a passkey or security key:"</span>
                    <crate::passkey::PasskeyButton code=passkey sign_in=true />
                </div>
            </div>
        </div>
    }
}

/// A sign-in of someone whose role needs a second factor and who has none: they set up an
/// authenticator app here, keep their recovery codes, and go on.
#[component]
pub fn LoginSetUpPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    let enrolment = Resource::new(|| (), |_| crate::auth::sign_in_set_up());
    let action = ServerAction::<crate::auth::SignInSetUpConfirm>::new();
    let error = move || {
        action.value().get().and_then(|r| r.err()).map(|e| {
            view! { <p class="form-error" role="alert" data-testid="login-error">{e.message}</p> }
        })
    };
    view! {
        <Title text="Set up a second factor" />
        <div class="auth-page">
            <div class="auth-card auth-card-wide">
                <div class="auth-brand">
                    <Logo />
                    <span>"Tollgate"</span>
                </div>
                <h1>"Set up a second factor"</h1>
                {move || match action.value().get() {
                    Some(Ok(done)) => view! {
                        <p class="muted">"Your authenticator app is on. Keep these recovery codes somewhere safe: they are shown only once."</p>
                        <ul class="recovery-codes mono" data-testid="recovery-codes">
                            {done.recovery_codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                        </ul>
                        <a class="btn btn-primary btn-block" rel="external" href=done.next>"Continue"</a>
                    }.into_any(),
                    _ => view! {
                        <p class="muted">"Your role needs a second factor. Scan the code with an authenticator app, then type the code it shows."</p>
                        <Suspense fallback=|| view! { <p class="loading">"Loading"</p> }>
                            {move || enrolment.get().map(|r| match r {
                                Err(e) => view! {
                                    <p class="form-error" role="alert">{e.message}" "<a href="/login">"Sign in again"</a></p>
                                }.into_any(),
                                Ok(e) => view! {
                                    <div class="enrol">
                                        <img class="qr" src=e.qr_code alt="QR code of the authenticator secret" width="180" height="180" />
                                        <p class="mono wrap-anywhere small" data-testid="totp-secret">{e.secret}</p>
                                    </div>
                                }.into_any(),
                            })}
                        </Suspense>
                        <ActionForm action=action>
                            <input type="hidden" name="next" prop:value=next />
                            <div class="field">
                                <label for="code">"The code the app shows"</label>
                                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="8" />
                            </div>
                            {error}
                            <button type="submit" class="btn btn-primary btn-block" disabled=move || action.pending().get()>"Turn on and continue"</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
