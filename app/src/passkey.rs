//! The browser's half of passkeys (WebAuthn): the server's options (WebAuthn's JSON form) go
//! through `PublicKeyCredential.parse…OptionsFromJSON` to `navigator.credentials.create` or
//! `get`, and the answer comes back as the JSON of `PublicKeyCredential.toJSON()`, which the
//! server reads. Only in the browser; on the server these are never called.

use crate::error::AppError;

/// Registers a new passkey with the options of `POST /api/v1/me/passkeys/options`: the
/// credential, as a JSON value.
pub async fn create(options: serde_json::Value) -> Result<serde_json::Value, AppError> {
    let json = ceremony("create", "parseCreationOptionsFromJSON", options).await?;
    serde_json::from_str(&json).map_err(|e| AppError::bad_request(e.to_string()))
}

/// Proves one of the person's passkeys with the options of a passkey challenge: the assertion
/// as a JSON string, to send where a code goes.
pub async fn get(options: serde_json::Value) -> Result<String, AppError> {
    ceremony("get", "parseRequestOptionsFromJSON", options).await
}

#[cfg(feature = "hydrate")]
async fn ceremony(
    method: &str,
    parse: &str,
    options: serde_json::Value,
) -> Result<String, AppError> {
    use js_sys::{Function, Object, Promise, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};

    let unsupported =
        || AppError::bad_request("This browser cannot use passkeys here: use a code instead.");
    let call = |target: &JsValue, name: &str, args: &[JsValue]| -> Result<JsValue, JsValue> {
        let f: Function = Reflect::get(target, &JsValue::from_str(name))?.dyn_into()?;
        match args {
            [] => f.call0(target),
            [a] => f.call1(target, a),
            _ => Err(JsValue::UNDEFINED),
        }
    };
    let window: JsValue = web_sys::window().ok_or_else(unsupported)?.into();
    let pkc = Reflect::get(&window, &JsValue::from_str("PublicKeyCredential"))
        .ok()
        .filter(|v| !v.is_undefined())
        .ok_or_else(unsupported)?;
    let text = serde_json::to_string(options.get("publicKey").unwrap_or(&options))
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let json = JSON::parse(&text).map_err(|_| unsupported())?;
    let public_key = call(&pkc, parse, &[json]).map_err(|_| unsupported())?;
    let arg = Object::new();
    Reflect::set(&arg, &JsValue::from_str("publicKey"), &public_key).map_err(|_| unsupported())?;
    let navigator =
        Reflect::get(&window, &JsValue::from_str("navigator")).map_err(|_| unsupported())?;
    let credentials =
        Reflect::get(&navigator, &JsValue::from_str("credentials")).map_err(|_| unsupported())?;
    let promise: Promise = call(&credentials, method, &[arg.into()])
        .and_then(|p| p.dyn_into())
        .map_err(|_| unsupported())?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| {
            let name = Reflect::get(&e, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            AppError::bad_request(match name.as_str() {
                "InvalidStateError" => "This passkey is registered here already.".to_string(),
                _ => "The passkey was not used: it was cancelled, or its time ran out. Try again."
                    .to_string(),
            })
        })?;
    if credential.is_null() || credential.is_undefined() {
        return Err(unsupported());
    }
    let answer = call(&credential, "toJSON", &[]).map_err(|_| unsupported())?;
    JSON::stringify(&answer)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(unsupported)
}

#[cfg(not(feature = "hydrate"))]
async fn ceremony(
    _method: &str,
    _parse: &str,
    _options: serde_json::Value,
) -> Result<String, AppError> {
    Err(AppError::bad_request("Passkeys are used in the browser."))
}

/// Whether a second-factor "code" holds a passkey's assertion rather than typed digits.
pub fn is_assertion(code: &str) -> bool {
    code.trim_start().starts_with('{')
}

/// "Use a passkey": asks the server for a challenge (for the signed-in person, or for the
/// sign-in waiting in this browser when `sign_in`), lets the browser prove a passkey, and puts
/// the assertion into `code`, where a typed code would go.
#[leptos::component]
pub fn PasskeyButton(
    code: leptos::prelude::RwSignal<String>,
    #[prop(optional)] sign_in: bool,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let run = move |_| {
        error.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = async {
                let options = if sign_in {
                    crate::client::second_factor::sign_in_passkey_challenge().await?
                } else {
                    crate::client::second_factor::passkey_challenge().await?
                };
                get(options).await
            }
            .await;
            match answer {
                Ok(a) => code.set(a),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <span class="passkey-use">
            <button type="button" class="btn btn-sm" data-testid="use-passkey" on:click=run disabled=move || busy.get()>
                {move || if is_assertion(&code.get()) { "Passkey ready ✓" } else if busy.get() { "Waiting for your passkey…" } else { "Use a passkey" }}
            </button>
            {move || error.get().map(|m| view! { <span class="form-error small" role="alert">{m}</span> })}
        </span>
    }
}
