//! Passkeys and security keys (WebAuthn, the `webauthn-rs` crate): a second factor beside the
//! authenticator app. A person registers several and names them on the Security page; any of
//! them then answers where a code is asked (the sign-in's second step, a decision that needs a
//! fresh second factor): the browser proves one against a challenge of the server and sends
//! its assertion (`PublicKeyCredential.toJSON()`) in place of the code.
//!
//! The relying party is the host of `TOLLGATE_PUBLIC_URL`: browsers refuse passkeys for an IP
//! address, so a server reached only by one offers none. The server's half of each ceremony is
//! kept in Postgres for five minutes and taken once, so any instance can finish what another
//! began, and an assertion cannot be replayed.

use chrono::{Duration, Utc};
use serde_json::Value;
use sqlx::PgPool;
use tollgate_app::admin_dto::{NewPasskey, PasskeyDto};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::config::Config;
use crate::identity::{second_factor, step_up};
use crate::store::passkeys as store;
use crate::store::second_factor::record_event;

/// How long a ceremony waits for the browser's answer.
const CEREMONY_MINUTES: i64 = 5;

/// The relying party of this server: the host of its public URL. 409 `passkeys_unavailable`
/// when that is an IP address (or no URL at all).
fn relying_party(config: &Config) -> Result<Webauthn, AppError> {
    let unavailable = || {
        AppError::conflict(
            "passkeys_unavailable",
            "Passkeys need Tollgate to be reached by a domain name (TOLLGATE_PUBLIC_URL), not an IP address.",
        )
    };
    let url = Url::parse(&config.public_url()).map_err(|_| unavailable())?;
    let host = url.domain().ok_or_else(unavailable)?.to_string();
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| b.rp_name("Tollgate").build())
        .map_err(|_| unavailable())
}

/// Whether this server can register and check passkeys.
pub fn available(config: &Config) -> bool {
    relying_party(config).is_ok()
}

/// Options as the browser's `PublicKeyCredential.parse…OptionsFromJSON` reads them: without
/// the members webauthn-rs leaves empty (`null` is not "absent" to the browser).
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, AppError> {
    serde_json::to_value(value).map_err(|_| AppError::internal())
}

fn dto(row: store::PasskeyRow) -> PasskeyDto {
    PasskeyDto {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

/// `user`'s passkeys, as the Security page lists them.
pub async fn list(pool: &PgPool, user: uuid::Uuid) -> Result<Vec<PasskeyDto>, AppError> {
    Ok(store::of_user(pool, user)
        .await?
        .into_iter()
        .map(dto)
        .collect())
}

/// The credentials of `user`'s passkeys, with their rows' ids.
async fn credentials(
    pool: &PgPool,
    user: uuid::Uuid,
) -> Result<Vec<(uuid::Uuid, Passkey)>, AppError> {
    Ok(store::of_user(pool, user)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, serde_json::from_value(r.passkey).ok()?)))
        .collect())
}

fn name_of(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid(
            "name",
            "Name it in 1 to 60 characters, e.g. \"Laptop\" or \"YubiKey\".",
        ));
    }
    Ok(name.to_string())
}

/// Adding or removing a passkey when the person has a second factor already needs a fresh one:
/// `code` (a code, a recovery code or another passkey's assertion), or one given in this
/// browser session within the step-up window — at least the last minute, so that a window of 0
/// ("ask at every decision") still lets the page confirm and go on. Otherwise a stolen session
/// could add its own passkey and approve with it.
async fn fresh_factor(
    pool: &PgPool,
    config: &Config,
    viewer: &Viewer,
    code: Option<&str>,
) -> Result<(), AppError> {
    if !second_factor::required(pool, viewer.id).await? {
        return Ok(());
    }
    if step_up::code(pool, config, viewer, code).await?.is_some() {
        return Ok(());
    }
    let mut db = pool.acquire().await?;
    if step_up::session_fresh(&mut db, viewer, Utc::now(), 1).await? {
        return Ok(());
    }
    let mut e = AppError::new(
        403,
        "step_up_required",
        "Confirm it is you first: use one of your passkeys, or type a code of your authenticator app.",
    );
    e.field = Some("second_factor_code".into());
    Err(e)
}

/// Starts registering a passkey for the signed-in `viewer`: the options for
/// `navigator.credentials.create` (as JSON). The passkeys they have already are excluded. A
/// person who must confirm it is them is asked before the ceremony starts (403
/// `step_up_required`), so that the authenticator is touched once, after the confirmation.
pub async fn registration_options(
    pool: &PgPool,
    config: &Config,
    viewer: &Viewer,
) -> Result<Value, AppError> {
    let rp = relying_party(config)?;
    fresh_factor(pool, config, viewer, None).await?;
    let exclude = credentials(pool, viewer.id)
        .await?
        .into_iter()
        .map(|(_, p)| p.cred_id().clone())
        .collect::<Vec<_>>();
    let (options, state) = rp
        .start_passkey_registration(
            viewer.id,
            &viewer.username,
            &viewer.display_name,
            Some(exclude),
        )
        .map_err(|_| AppError::internal())?;
    store::begin_ceremony(
        pool,
        viewer.id,
        "register",
        &to_json(&state)?,
        Utc::now() + Duration::minutes(CEREMONY_MINUTES),
    )
    .await?;
    Ok(without_nulls(to_json(&options)?))
}

/// Finishes registering: checks the browser's answer against the ceremony begun, and keeps
/// the passkey under its name.
pub async fn register(
    pool: &PgPool,
    config: &Config,
    viewer: &Viewer,
    body: NewPasskey,
) -> Result<PasskeyDto, AppError> {
    let name = name_of(&body.name)?;
    let rp = relying_party(config)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_value(body.credential).map_err(|_| {
            AppError::invalid(
                "credential",
                "Not a passkey's answer (PublicKeyCredential JSON).",
            )
        })?;
    fresh_factor(pool, config, viewer, body.second_factor_code.as_deref()).await?;
    let Some(state) = store::take_ceremony(pool, viewer.id, "register").await? else {
        return Err(AppError::conflict(
            "no_ceremony",
            "Start adding the passkey again: its five minutes are over, or it was used.",
        ));
    };
    let state: PasskeyRegistration =
        serde_json::from_value(state).map_err(|_| AppError::internal())?;
    let passkey = rp
        .finish_passkey_registration(&credential, &state)
        .map_err(|e| {
            tracing::info!(user = %viewer.username, error = %e, "passkey registration refused");
            AppError::invalid(
                "credential",
                "The browser's answer does not match what this server asked: add the passkey again.",
            )
        })?;
    let mut tx = pool.begin().await?;
    let row = store::insert(
        &mut *tx,
        viewer.id,
        &name,
        passkey.cred_id(),
        &to_json(&passkey)?,
    )
    .await?;
    record_event(&mut *tx, viewer.id, Some(viewer.id), "passkey_added").await?;
    tx.commit().await?;
    tracing::info!(user = %viewer.username, passkey = %row.name, "passkey added");
    Ok(dto(row))
}

/// Renames one of the viewer's passkeys.
pub async fn rename(
    pool: &PgPool,
    viewer: &Viewer,
    id: uuid::Uuid,
    name: &str,
) -> Result<PasskeyDto, AppError> {
    let name = name_of(name)?;
    store::rename(pool, viewer.id, id, &name)
        .await?
        .map(dto)
        .ok_or_else(|| AppError::not_found("Passkey"))
}

/// Removes one of the viewer's passkeys, with a fresh second factor.
pub async fn remove(
    pool: &PgPool,
    config: &Config,
    viewer: &Viewer,
    id: uuid::Uuid,
    code: Option<&str>,
) -> Result<(), AppError> {
    if !store::of_user(pool, viewer.id)
        .await?
        .iter()
        .any(|p| p.id == id)
    {
        return Err(AppError::not_found("Passkey"));
    }
    fresh_factor(pool, config, viewer, code).await?;
    let mut tx = pool.begin().await?;
    if !store::remove(&mut *tx, viewer.id, id).await? {
        return Err(AppError::not_found("Passkey"));
    }
    record_event(&mut *tx, viewer.id, Some(viewer.id), "passkey_removed").await?;
    tx.commit().await?;
    tracing::info!(user = %viewer.username, "passkey removed by its owner");
    Ok(())
}

/// A challenge for `user` to prove one of their passkeys: the options for
/// `navigator.credentials.get` (as JSON). 404 when they have none.
pub async fn challenge(
    pool: &PgPool,
    config: &Config,
    user: uuid::Uuid,
) -> Result<Value, AppError> {
    let rp = relying_party(config)?;
    let keys: Vec<Passkey> = credentials(pool, user)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    if keys.is_empty() {
        return Err(AppError::new(
            404,
            "no_passkeys",
            "You have no passkey here yet: use a code of your authenticator app.",
        ));
    }
    let (options, state) = rp
        .start_passkey_authentication(&keys)
        .map_err(|_| AppError::internal())?;
    store::begin_ceremony(
        pool,
        user,
        "authenticate",
        &to_json(&state)?,
        Utc::now() + Duration::minutes(CEREMONY_MINUTES),
    )
    .await?;
    Ok(without_nulls(to_json(&options)?))
}

/// Checks an assertion of one of `user`'s passkeys against their challenge (taken once): true
/// when it proves one (its counter and last use are then kept).
pub async fn check(
    pool: &PgPool,
    config: &Config,
    user: uuid::Uuid,
    assertion: &str,
) -> Result<bool, AppError> {
    let Ok(rp) = relying_party(config) else {
        return Ok(false);
    };
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(assertion) else {
        return Ok(false);
    };
    let Some(state) = store::take_ceremony(pool, user, "authenticate").await? else {
        return Ok(false);
    };
    let state: PasskeyAuthentication =
        serde_json::from_value(state).map_err(|_| AppError::internal())?;
    let result = match rp.finish_passkey_authentication(&credential, &state) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %user, error = %e, "passkey assertion refused");
            return Ok(false);
        }
    };
    for (id, mut passkey) in credentials(pool, user).await? {
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            store::used(pool, id, &to_json(&passkey)?).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_leave_out_what_is_empty() {
        let v = serde_json::json!({"publicKey": {"a": null, "b": [{"c": null, "d": 1}]}, "mediation": null});
        assert_eq!(
            without_nulls(v),
            serde_json::json!({"publicKey": {"b": [{"d": 1}]}})
        );
    }
}
