//! Step-up at the moment of decision: a flow level may ask that approving or rejecting there
//! needs a fresh second factor (core's `check_step_up` decides). What counts, in this order:
//!
//! - a code of the approver's authenticator app, or a recovery code, sent with the decision
//!   (checked once, before the ticket is touched, and limited like password guesses); the
//!   browser session then counts as fresh for the window too;
//! - a browser session whose person gave a code within the window (`step_up_minutes`, a
//!   sign-in setting, 5 by default; 0 asks at every decision);
//! - an API token made "for approvals", with a code, when it was created.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::StepUp;

use crate::config::Config;
use crate::identity::second_factor;

/// The window of a second factor when the setting was never changed.
pub const DEFAULT_MINUTES: u32 = 5;
/// The longest window the setting allows.
pub const MAX_MINUTES: u32 = 60;

/// A code sent with a decision (or with a token made for approvals): `None` when none was
/// sent; how it was given when it is right (and the browser session notes that its person gave
/// one now); 403 `wrong_code` when it is wrong or used already.
pub async fn code(
    pool: &PgPool,
    config: &Config,
    viewer: &Viewer,
    code: Option<&str>,
) -> Result<Option<StepUp>, AppError> {
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Ok(None);
    };
    let wrong = |message: &str| {
        let mut e = AppError::new(403, "wrong_code", message);
        e.field = Some("second_factor_code".into());
        e
    };
    if !second_factor::required(pool, viewer.id).await? {
        return Err(wrong(
            "You have no authenticator app set up: set one up on your Security page first.",
        ));
    }
    let p = &viewer.presence;
    let how = second_factor::verify_any(pool, config, viewer.id, &viewer.username, code, p.ip)
        .await?
        .ok_or_else(|| {
            wrong("That code is not right (or was used already). Codes change every 30 seconds.")
        })?;
    if let Some(session) = &p.session {
        crate::store::second_factor::mark_session(pool, session).await?;
    }
    Ok(Some(how))
}

/// What else proves a fresh second factor for this request: its browser session gave one
/// within the window, or its API token was made for approvals.
pub async fn standing(
    db: &mut PgConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Option<StepUp>, AppError> {
    if session_fresh(&mut *db, viewer, now, 0).await? {
        return Ok(Some(StepUp::Session));
    }
    if let Some(token) = viewer.presence.token {
        if crate::store::tokens::for_approvals(&mut *db, token).await? {
            return Ok(Some(StepUp::Token));
        }
    }
    Ok(None)
}

/// Whether the viewer's browser session gave a second factor within the window (and at
/// least `floor_minutes` ago, for callers that must not be blocked by a window of 0).
pub async fn session_fresh(
    db: &mut PgConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
    floor_minutes: u32,
) -> Result<bool, AppError> {
    let Some(session) = &viewer.presence.session else {
        return Ok(false);
    };
    let at = crate::store::second_factor::session_given_at(&mut *db, session).await?;
    let window = minutes(&mut *db).await?.max(floor_minutes);
    Ok(tollgate_core::step_up_fresh(at, now, window))
}

/// The window of a second factor, in minutes (the `step_up_minutes` setting).
pub async fn minutes(db: impl sqlx::PgExecutor<'_>) -> Result<u32, AppError> {
    Ok(crate::store::settings::get(db, "step_up_minutes")
        .await?
        .and_then(|v| v.as_u64())
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(DEFAULT_MINUTES))
}
