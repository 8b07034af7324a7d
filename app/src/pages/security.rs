//! Security: the person's own second factor — an authenticator app (TOTP) with recovery codes.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::admin_dto::{SecondFactorCode, TotpEnrolment};
use crate::client;
use crate::components::{fmt_time, ErrorBox};
use crate::error::AppError;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        version.get();
        client::second_factor::status()
    });
    let enrolling = RwSignal::new(None::<TotpEnrolment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(None::<&'static str>);
    let busy = RwSignal::new(false);

    let run =
        move |f: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>| {
            error.set(None);
            done.set(None);
            busy.set(true);
            spawn_local(async move {
                if let Err(e) = f.await {
                    error.set(Some(e));
                }
                busy.set(false);
                version.update(|n| *n += 1);
            });
        };
    let begin = move |_| {
        codes.set(None);
        run(Box::pin(async move {
            enrolling.set(Some(client::second_factor::begin().await?));
            Ok(())
        }))
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SecondFactorCode {
            code: code.get_untracked(),
        };
        run(Box::pin(async move {
            let r = client::second_factor::confirm(&body).await?;
            enrolling.set(None);
            code.set(String::new());
            codes.set(Some(r.recovery_codes));
            done.set(Some(
                "Your authenticator app is on: sign-in asks for a code from now on.",
            ));
            Ok(())
        }))
    };
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SecondFactorCode {
            code: code.get_untracked(),
        };
        run(Box::pin(async move {
            client::second_factor::remove(&body).await?;
            code.set(String::new());
            codes.set(None);
            done.set(Some(
                "The authenticator app is off: sign-in asks for your password alone.",
            ));
            Ok(())
        }))
    };

    view! {
        <Title text="Security" />
        <div class="page-head">
            <div>
                <h1>"Security"</h1>
                <p class="sub">"A second factor: whoever learns your password still cannot sign in as you."</p>
            </div>
        </div>
        {move || done.get().map(|m| view! { <div class="form-ok" role="status">{m}</div> })}
        {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        {move || codes.get().map(|list| view! {
            <div class="card token-once" data-testid="recovery-codes">
                <div class="card-body">
                    <strong>"Keep these recovery codes somewhere safe: they are shown only once."</strong>
                    <ul class="recovery-codes mono">{list.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                    <span class="hint">"Each one signs you in once in place of a code, if your phone is lost."</span>
                </div>
            </div>
        })}
        <div class="card form-card security-card">
            <div class="card-head"><h2>"Authenticator app"</h2></div>
            <div class="card-body">
                {move || match status.get() {
                    None => view! { <p class="loading">"Loading"</p> }.into_any(),
                    Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
                    Some(Ok(s)) if s.active => view! {
                        <p data-testid="second-factor-on"><span class="badge approved">"On"</span>
                            " Sign-in asks for a code. "{s.recovery_codes_left}" recovery codes left."</p>
                        <form class="row" on:submit=remove>
                            <div class="field">
                                <label for="remove-code">"Code or recovery code"</label>
                                <input id="remove-code" autocomplete="one-time-code" required maxlength="64" bind:value=code />
                            </div>
                            <div class="field"><label>" "</label>
                                <button class="btn btn-danger" type="submit" disabled=move || busy.get()>"Turn off"</button></div>
                        </form>
                    }.into_any(),
                    Some(Ok(_)) => match enrolling.get() {
                        None => view! {
                            <p data-testid="second-factor-off"><span class="badge closed">"Off"</span>" Sign-in asks for your password alone."</p>
                            <button class="btn btn-primary" on:click=begin disabled=move || busy.get()>"Set up an authenticator app"</button>
                        }.into_any(),
                        Some(e) => view! {
                            <div class="enrol">
                                <img class="qr" src=e.qr_code alt="QR code of the authenticator secret" width="200" height="200" />
                                <div>
                                    <p>"Scan the code with an authenticator app (Google Authenticator, 1Password, Aegis…), or type this secret:"</p>
                                    <p class="mono wrap-anywhere" data-testid="totp-secret">{e.secret}</p>
                                    <form class="row" on:submit=confirm>
                                        <div class="field">
                                            <label for="confirm-code">"The code the app shows"</label>
                                            <input id="confirm-code" inputmode="numeric" autocomplete="one-time-code" required maxlength="8" bind:value=code />
                                        </div>
                                        <div class="field"><label>" "</label>
                                            <button class="btn btn-primary" type="submit" disabled=move || busy.get()>"Turn on"</button></div>
                                    </form>
                                </div>
                            </div>
                        }.into_any(),
                    },
                }}
            </div>
        </div>
        {move || status.get().and_then(Result::ok).filter(|s| !s.events.is_empty()).map(|s| view! {
            <div class="card form-card security-card" data-testid="security-events">
                <div class="card-head"><h2>"Recent activity"</h2></div>
                <ol class="history">
                    {s.events.into_iter().map(|e| view! {
                        <li class=format!("ev ev-{}", e.kind)>
                            <span>{event_text(&e.kind, e.actor.as_deref())}</span>
                            <span class="muted small">" · "{fmt_time(e.at)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </div>
        })}
    }
}

/// What a security event says, with who did it.
fn event_text(kind: &str, actor: Option<&str>) -> String {
    let by = actor.unwrap_or("an administrator, from the server's command line");
    match kind {
        "second_factor_set_up" => format!("Authenticator app set up by {by}"),
        "second_factor_removed" => format!("Authenticator app turned off by {by}"),
        "second_factor_reset" => format!("Second factor reset by {by}; every session ended"),
        "recovery_code_used" => "A recovery code was used".to_string(),
        other => other.replace('_', " "),
    }
}
