//! The second factor: TOTP (RFC 6238, the `totp-rs` crate) with ten single-use recovery
//! codes. Enrolment shows a QR code (SVG made here) and the secret as text, and is active once
//! a code confirms it. A sign-in whose first factor was right waits (a cookie and a row, five
//! minutes) for a code or a recovery code. A code is accepted once (its 30-second step is taken,
//! and no earlier one after it), one step of clock skew either way; guesses count against the
//! same limits as passwords.

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sqlx::PgPool;
use tollgate_app::AppError;
use tollgate_core::StepUp;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use crate::config::Config;
use crate::identity::{digest, passkeys, ratelimit, session};
use crate::store::second_factor as store;
use tollgate_app::admin_dto::{SecondFactorStatus, SecurityEventDto};

/// The cookie of a sign-in waiting for its second factor.
pub const COOKIE: &str = tollgate_app::backend::SECOND_FACTOR_COOKIE;
/// How long a sign-in waits for its second factor.
pub const CHALLENGE_MINUTES: i64 = 5;
const ISSUER: &str = "Tollgate";
/// The longest passkey assertion (JSON) taken in place of a code.
const MAX_ASSERTION: usize = 16 * 1024;

fn totp(secret: &[u8], account: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', "-"))
        .build()
        .map_err(|_| AppError::internal())
}

/// A recovery code as the person types it: `xxxx-xxxx`, lower-case letters and digits.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// The digest a recovery code is kept as (spaces, dashes and case do not matter).
fn recovery_digest(code: &str) -> Vec<u8> {
    let canonical: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    digest::of(&canonical)
}

/// What an enrolment shows: the secret as text, the `otpauth://` URI and its QR code (SVG).
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

fn qr_svg(text: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|_| AppError::internal())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Starts (or starts again) the enrolment of `user`: 409 when a second factor is active.
pub async fn begin(pool: &PgPool, user: Uuid, username: &str) -> Result<Enrolment, AppError> {
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    if !store::begin(pool, user, &secret).await? {
        return Err(AppError::conflict(
            "second_factor_active",
            "An authenticator is active already: remove it first (with a code) to set up another.",
        ));
    }
    let t = totp(&secret, username)?;
    let uri = t.to_url().map_err(|_| AppError::internal())?;
    Ok(Enrolment {
        secret: Secret::from(secret.to_vec()).to_base32(),
        qr_svg: qr_svg(&uri)?,
        uri,
    })
}

/// Checks a six-digit `code` of `user`'s authenticator (a confirmed one, or also one being
/// set up when `enrolling`) and takes its step: false when wrong or already used.
async fn check_code(
    pool: &PgPool,
    user: Uuid,
    code: &str,
    enrolling: bool,
) -> Result<bool, AppError> {
    let Some((secret, confirmed)) = store::totp(pool, user).await? else {
        return Ok(false);
    };
    if !confirmed && !enrolling {
        return Ok(false);
    }
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = totp(&secret, "")?;
    let now = Utc::now().timestamp().max(0) as u64;
    let Some(step) = t.check(&code, now) else {
        return Ok(false);
    };
    store::take_step(pool, user, step as i64).await
}

/// A code, a recovery code or a passkey's assertion (JSON) of `user`: how it was given, or None
/// when it is not right.
/// Counted against the sign-in limits of `username`.
async fn verify(
    pool: &PgPool,
    config: &Config,
    user: Uuid,
    username: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
    enrolling: bool,
) -> Result<Option<StepUp>, AppError> {
    let attempt = ratelimit::reserve(pool, config, username, ip).await?;
    let code = code.trim();
    let how = if code.starts_with('{') && code.len() <= MAX_ASSERTION {
        passkeys::check(pool, config, user, code)
            .await?
            .then_some(StepUp::Passkey)
    } else if code.len() > 64 || code.is_empty() {
        None
    } else if code.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        check_code(pool, user, code, enrolling)
            .await?
            .then_some(StepUp::Totp)
    } else {
        let used = store::use_recovery(pool, user, &recovery_digest(code)).await?;
        if used {
            store::record_event(pool, user, Some(user), "recovery_code_used").await?;
        }
        used.then_some(StepUp::RecoveryCode)
    };
    if how.is_some() {
        attempt.succeeded(pool).await?;
    }
    Ok(how)
}

/// A code or a recovery code of `user`'s active second factor, given outside a sign-in (with a
/// decision): how it was given, or None when it is wrong or used already.
pub async fn verify_any(
    pool: &PgPool,
    config: &Config,
    user: Uuid,
    username: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Option<StepUp>, AppError> {
    verify(pool, config, user, username, code, ip, false).await
}

fn wrong_code() -> AppError {
    let mut e = AppError::new(
        401,
        "wrong_code",
        "That code is not right (or was used already). Codes change every 30 seconds.",
    );
    e.field = Some("code".into());
    e
}

/// Confirms the enrolment with a code from the app: the ten recovery codes, shown once.
pub async fn confirm(
    pool: &PgPool,
    config: &Config,
    user: Uuid,
    username: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Vec<String>, AppError> {
    match store::totp(pool, user).await? {
        None => {
            return Err(AppError::conflict(
                "no_enrolment",
                "Start setting up an authenticator first.",
            ))
        }
        Some((_, true)) => {
            return Err(AppError::conflict(
                "second_factor_active",
                "This authenticator is active already.",
            ))
        }
        Some((_, false)) => {}
    }
    // Only a code of the app counts here, not a recovery code.
    if !code.trim().chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return Err(wrong_code());
    }
    if verify(pool, config, user, username, code, ip, true).await? != Some(StepUp::Totp) {
        return Err(wrong_code());
    }
    let codes: Vec<String> = (0..10).map(|_| recovery_code()).collect();
    let digests: Vec<Vec<u8>> = codes.iter().map(|c| recovery_digest(c)).collect();
    let mut tx = pool.begin().await?;
    store::confirm(&mut tx, user, &digests).await?;
    store::record_event(&mut *tx, user, Some(user), "second_factor_set_up").await?;
    tx.commit().await?;
    tracing::info!(user = %username, "second factor set up");
    Ok(codes)
}

/// Removes the person's own second factor, with a fresh code or a recovery code.
pub async fn remove_own(
    pool: &PgPool,
    config: &Config,
    user: Uuid,
    username: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    if !matches!(store::totp(pool, user).await?, Some((_, true))) {
        return Err(AppError::not_found("Second factor"));
    }
    if verify(pool, config, user, username, code, ip, false)
        .await?
        .is_none()
    {
        return Err(wrong_code());
    }
    let mut tx = pool.begin().await?;
    store::remove(&mut tx, user).await?;
    store::record_event(&mut *tx, user, Some(user), "second_factor_removed").await?;
    tx.commit().await?;
    tracing::info!(user = %username, "second factor removed by its owner");
    Ok(())
}

/// Who resets a second factor.
pub enum ResetBy<'a> {
    /// A super admin: their id and display name.
    SuperAdmin { id: Uuid, name: &'a str },
    /// The server's command line (`tollgate reset-second-factor`).
    CommandLine,
}

/// A super admin (or the command line) removes another person's second factors — the
/// authenticator app, its recovery codes and every passkey — (a lost phone or key): their
/// sessions and API tokens end too, the event is kept in the person's security history, and
/// they are told (in the app and by mail).
pub async fn reset(pool: &PgPool, by: ResetBy<'_>, user: Uuid) -> Result<(), AppError> {
    let (actor, name) = match by {
        ResetBy::SuperAdmin { id, name } => (Some(id), Some(name)),
        ResetBy::CommandLine => (None, None),
    };
    let mut tx = pool.begin().await?;
    let app = store::remove(&mut tx, user).await?;
    let keys = crate::store::passkeys::remove_all(&mut tx, user).await?;
    if !app && keys == 0 {
        return Err(AppError::not_found("Second factor"));
    }
    crate::store::users::end_all_sessions(&mut tx, user).await?;
    store::record_event(&mut *tx, user, actor, "second_factor_reset").await?;
    store::notify_reset(&mut *tx, user, name).await?;
    tx.commit().await?;
    tracing::warn!(by = name.unwrap_or("the command line"), user = %user, "second factor reset; the person's sessions ended");
    Ok(())
}

/// `user`'s second factor: active or not, recovery codes left, and its newest events (set up,
/// removed, reset, recovery codes used).
pub async fn status(
    pool: &PgPool,
    config: &Config,
    user: Uuid,
) -> Result<SecondFactorStatus, AppError> {
    let (active, left, _) = store::status(pool, user).await?;
    let events = store::events(pool, user, 50)
        .await?
        .into_iter()
        .map(|e| SecurityEventDto {
            kind: e.kind,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Ok(SecondFactorStatus {
        active,
        recovery_codes_left: left,
        events,
        passkeys: passkeys::list(pool, user).await?,
        passkeys_available: passkeys::available(config),
    })
}

/// Whether `user` must give a second factor to sign in: they have an authenticator app or a
/// passkey.
pub async fn required(pool: &PgPool, user: Uuid) -> Result<bool, AppError> {
    let (app, _, keys) = store::status(pool, user).await?;
    Ok(app || keys > 0)
}

/// Which kinds of second factor `user` can give: codes (an authenticator app, or recovery codes
/// left), and passkeys.
pub async fn kinds(pool: &PgPool, user: Uuid) -> Result<(bool, bool), AppError> {
    let (app, left, keys) = store::status(pool, user).await?;
    Ok((app || left > 0, keys > 0))
}

/// Makes a sign-in wait for the second factor: the `Set-Cookie` value of its token. Lax, not
/// Strict: after single sign-on the browser arrives at the code page at the end of redirects
/// that began at the provider, and a Strict cookie would not come along.
pub async fn challenge(
    pool: &PgPool,
    user: Uuid,
    method: &str,
    secure: bool,
) -> Result<String, AppError> {
    let token = session::new_token();
    store::challenge(
        pool,
        &digest::of(&token),
        user,
        method,
        Utc::now() + Duration::minutes(CHALLENGE_MINUTES),
    )
    .await?;
    Ok(format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        CHALLENGE_MINUTES * 60,
        if secure { "; Secure" } else { "" }
    ))
}

/// The `Set-Cookie` value that forgets the waiting sign-in.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A waiting sign-in's code: the person, their username and how the first factor was proved,
/// once the code is right (the wait then ends).
pub async fn answer(
    pool: &PgPool,
    config: &Config,
    token: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(Uuid, String, String), AppError> {
    let hash = digest::of(token);
    let Some((user, username, method)) = store::waiting(pool, &hash).await? else {
        return Err(no_challenge());
    };
    if !required(pool, user).await? {
        return Err(AppError::conflict(
            "second_factor_setup_required",
            "Set up your authenticator app first: this sign-in waits for it.",
        ));
    }
    let Some(how) = verify(pool, config, user, &username, code, ip, false).await? else {
        return Err(wrong_code());
    };
    if !store::end_challenge(pool, &hash).await? {
        return Err(no_challenge());
    }
    tracing::info!(user = %username, how = how.as_str(), "second factor given");
    Ok((user, username, method))
}

/// A waiting sign-in's challenge for one of the person's passkeys.
pub async fn passkey_challenge_for_sign_in(
    pool: &PgPool,
    config: &Config,
    token: &str,
) -> Result<serde_json::Value, AppError> {
    let Some((user, _, _)) = store::waiting(pool, &digest::of(token)).await? else {
        return Err(no_challenge());
    };
    passkeys::challenge(pool, config, user).await
}

/// A waiting sign-in of someone who must set up a second factor first: the enrolment.
pub async fn begin_for_sign_in(pool: &PgPool, token: &str) -> Result<Enrolment, AppError> {
    let Some((user, username, _)) = store::waiting(pool, &digest::of(token)).await? else {
        return Err(no_challenge());
    };
    begin(pool, user, &username).await
}

/// Confirms the enrolment of a waiting sign-in: the recovery codes, and the person, their
/// username and how the first factor was proved (the wait then ends).
pub async fn confirm_for_sign_in(
    pool: &PgPool,
    config: &Config,
    token: &str,
    code: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(Vec<String>, Uuid, String, String), AppError> {
    let hash = digest::of(token);
    let Some((user, username, method)) = store::waiting(pool, &hash).await? else {
        return Err(no_challenge());
    };
    let codes = confirm(pool, config, user, &username, code, ip).await?;
    if !store::end_challenge(pool, &hash).await? {
        return Err(no_challenge());
    }
    Ok((codes, user, username, method))
}

/// Notes on the session of `set_cookie` (just opened) that its person gave a second factor.
pub async fn mark(pool: &PgPool, session_token: &str) -> Result<(), AppError> {
    store::mark_session(pool, &digest::of(session_token)).await
}

pub fn no_challenge() -> AppError {
    AppError::new(
        404,
        "no_second_factor_wait",
        "No sign-in is waiting for a code here, or its five minutes are over. Sign in again.",
    )
}

/// The QR code as an `<img>` source (the page's policy allows `data:` images).
pub fn data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_kept_as_digests_that_ignore_spelling() {
        let c = recovery_code();
        assert_eq!(c.len(), 9);
        assert_eq!(
            recovery_digest(&c),
            recovery_digest(&c.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_digest(&c), recovery_digest(&recovery_code()));
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/Tollgate:alice?secret=ABC&issuer=Tollgate").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(data_uri(&svg).starts_with("data:image/svg+xml;base64,"));
    }
}
