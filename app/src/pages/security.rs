//! Security: the person's own second factors — an authenticator app (TOTP) with recovery codes,
//! and passkeys or security keys (WebAuthn).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::admin_dto::{
    NewPasskey, PasskeyDto, PasskeyName, SecondFactorCode, SecondFactorStatus, TotpEnrolment,
};
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
    let me = use_context::<crate::layout::ViewerResource>();

    let writes = crate::components::Writes {
        error,
        busy,
        version,
    };
    let run =
        move |f: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>| {
            done.set(None);
            writes.run(f);
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
                <p class="sub">"A second factor, so that whoever learns your password still cannot sign in as you; and who stands in for you while you are away."</p>
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
        {move || status.get().and_then(Result::ok).map(|s| view! { <Passkeys status=s version=version done=done /> })}
        <Transition fallback=|| ()>
            {move || me.and_then(|m| m.get()).and_then(|r| r.ok().flatten()).map(|v| view! { <crate::pages::away::AwayCard person=v.id /> })}
        </Transition>
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
        "passkey_added" => format!("Passkey added by {by}"),
        "passkey_removed" => format!("Passkey removed by {by}"),
        other => other.replace('_', " "),
    }
}

/// What waits for the person to confirm it is them (a fresh second factor) before it is done.
#[derive(Clone)]
enum Pending {
    Add(String),
    Remove(uuid::Uuid),
}

/// The passkeys card: the list (rename, remove) and "Add a passkey".
#[component]
fn Passkeys(
    status: SecondFactorStatus,
    version: RwSignal<u32>,
    // The page's "done" line: this card is made anew when the status is loaded again.
    done: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // Set when the server asks for a fresh second factor first: what to do once given.
    let confirm = RwSignal::new(None::<Pending>);
    let code = RwSignal::new(String::new());

    let perform = move |what: Pending| {
        error.set(None);
        done.set(None);
        busy.set(true);
        spawn_local(async move {
            let r = match what.clone() {
                Pending::Add(n) => {
                    async {
                        let options = client::passkeys::options().await?;
                        let credential = crate::passkey::create(options).await?;
                        client::passkeys::register(&NewPasskey {
                            name: n,
                            credential,
                            second_factor_code: None,
                        })
                        .await?;
                        Ok("Passkey added: sign-in asks for it (or a code) from now on.")
                    }
                    .await
                }
                Pending::Remove(id) => client::passkeys::remove(id)
                    .await
                    .map(|_| "Passkey removed."),
            };
            match r {
                Ok(m) => {
                    confirm.set(None);
                    name.set(String::new());
                    done.set(Some(m));
                    version.update(|n| *n += 1);
                }
                Err(e) if e.code == "step_up_required" => confirm.set(Some(what)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = Some(name.get_untracked().trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Passkey".to_string());
        perform(Pending::Add(n));
    };
    // Once a code or a passkey confirms it is them, what waited is done.
    let verify = move || {
        let Some(what) = confirm.get_untracked() else {
            return;
        };
        let body = SecondFactorCode {
            code: code.get_untracked(),
        };
        code.set(String::new());
        error.set(None);
        spawn_local(async move {
            match client::second_factor::verify(&body).await {
                Ok(()) => perform(what),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        if crate::passkey::is_assertion(&code.get()) {
            verify();
        }
    });
    let available = status.passkeys_available;
    let keys = status.passkeys;
    view! {
        <div class="card form-card security-card" data-testid="passkeys">
            <div class="card-head"><h2>"Passkeys and security keys"</h2></div>
            <div class="card-body">
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                {if keys.is_empty() {
                    view! { <p class="muted">"None yet. A passkey signs you in with your fingerprint, face or device PIN, or a security key you touch; nothing to type."</p> }.into_any()
                } else {
                    view! {
                        <ul class="passkey-list">
                            {keys.into_iter().map(|k| view! { <PasskeyRow key=k version=version busy=busy on_remove=move |id| perform(Pending::Remove(id)) /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {move || confirm.get().map(|_| view! {
                    <form class="confirm-it-is-you" data-testid="confirm-factor" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); verify(); }>
                        <p><strong>"Confirm it is you first."</strong>" Use one of your passkeys, or type a code of your authenticator app."</p>
                        <div class="row code-row">
                            <input aria-label="Code from your authenticator app" inputmode="numeric" autocomplete="one-time-code" placeholder="123456"
                                prop:value=move || if crate::passkey::is_assertion(&code.get()) { String::new() } else { code.get() }
                                on:input=move |ev| code.set(event_target_value(&ev)) />
                            <button class="btn btn-sm" type="submit">"Confirm"</button>
                            <crate::passkey::PasskeyButton code=code />
                        </div>
                    </form>
                })}
                {if available {
                    view! {
                        <form class="row" on:submit=add>
                            <div class="field">
                                <label for="passkey-name">"Name"</label>
                                <input id="passkey-name" maxlength="60" placeholder="Laptop, phone, YubiKey…" bind:value=name />
                            </div>
                            <div class="field"><label>" "</label>
                                <button class="btn btn-primary" type="submit" disabled=move || busy.get()>"Add a passkey"</button></div>
                        </form>
                    }.into_any()
                } else {
                    view! { <p class="muted" data-testid="passkeys-unavailable">"Passkeys need Tollgate to be reached by a domain name, not an IP address: ask your administrator."</p> }.into_any()
                }}
            </div>
        </div>
    }
}

/// One passkey: its name (renamed in place), when it was added and last used, and Remove.
#[component]
fn PasskeyRow(
    key: PasskeyDto,
    version: RwSignal<u32>,
    busy: RwSignal<bool>,
    on_remove: impl Fn(uuid::Uuid) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = key.id;
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(key.name.clone());
    let error = RwSignal::new(None::<AppError>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PasskeyName {
            name: name.get_untracked(),
        };
        spawn_local(async move {
            match client::passkeys::rename(id, &body).await {
                Ok(_) => {
                    renaming.set(false);
                    version.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let used = key
        .last_used_at
        .map(|t| format!("last used {}", fmt_time(t)))
        .unwrap_or_else(|| "not used yet".to_string());
    let shown = key.name.clone();
    view! {
        <li class="passkey" data-testid="passkey">
            <Show when=move || renaming.get() fallback=move || view! {
                <div>
                    <strong class="passkey-name">{shown.clone()}</strong>
                    <span class="muted small">" · added "{fmt_time(key.created_at)}" · "{used.clone()}</span>
                </div>
                <div class="row-actions">
                    <button class="btn btn-sm" type="button" on:click=move |_| renaming.set(true)>"Rename"</button>
                    <button class="btn btn-sm btn-danger" type="button" disabled=move || busy.get() on:click=move |_| on_remove(id)>"Remove"</button>
                </div>
            }>
                <form class="row" on:submit=save>
                    <input aria-label="Passkey name" maxlength="60" bind:value=name />
                    <button class="btn btn-sm btn-primary" type="submit">"Save"</button>
                    <button class="btn btn-sm" type="button" on:click=move |_| renaming.set(false)>"Cancel"</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        </li>
    }
}
