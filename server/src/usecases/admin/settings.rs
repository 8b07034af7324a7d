//! Settings an administrator changes at run time, kept as JSON values by key.

use chrono::Duration;
use sqlx::{PgExecutor, PgPool};
use tollgate_app::admin_dto::{SettingsDto, SettingsPatch, TtlMinutes};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::TicketType;

use super::require_super;

/// The current settings; a key never set (or unreadable) has its default.
pub async fn get(db: impl PgExecutor<'_>) -> Result<SettingsDto, AppError> {
    Ok(from_rows(crate::store::settings::known(db).await?))
}

/// Settings from their stored (key, value) rows; a key missing or unreadable has its default.
fn from_rows(rows: Vec<(String, serde_json::Value)>) -> SettingsDto {
    let mut out = SettingsDto::default();
    for (k, v) in rows {
        match k.as_str() {
            "default_period_days" => {
                if let Some(n) = v.as_i64().filter(|n| (1..=3650).contains(n)) {
                    out.default_period_days = n;
                }
            }
            "ttl_minutes" => {
                // Types missing from a stored object keep their default.
                let mut t = serde_json::to_value(TtlMinutes::default()).unwrap_or_default();
                if let (Some(obj), Some(stored)) = (t.as_object_mut(), v.as_object()) {
                    for (k, v) in stored {
                        if obj.contains_key(k) && v.as_i64().is_some_and(|n| n >= 1) {
                            obj.insert(k.clone(), v.clone());
                        }
                    }
                }
                if let Ok(t) = serde_json::from_value(t) {
                    out.ttl_minutes = t;
                }
            }
            "direct_email_approval" => {
                if let Some(b) = v.as_bool() {
                    out.direct_email_approval = b;
                }
            }
            "grant_ending_notice_hours" => {
                if let Some(n) = v.as_i64().filter(|n| (0..=MAX_NOTICE_HOURS).contains(n)) {
                    out.grant_ending_notice_hours = n;
                }
            }
            _ => {}
        }
    }
    out
}

/// How long a pending ticket of this type lives.
pub async fn ttl(db: impl PgExecutor<'_>, t: TicketType) -> Result<Duration, AppError> {
    Ok(ttl_in(&get(db).await?, t))
}

/// How long a pending ticket of this type lives, from the stored `ttl_minutes` value (read
/// together with other things by the caller).
pub fn ttl_of(stored: Option<serde_json::Value>, t: TicketType) -> Duration {
    let rows = stored.map(|v| ("ttl_minutes".to_string(), v));
    ttl_in(&from_rows(rows.into_iter().collect()), t)
}

fn ttl_in(s: &SettingsDto, t: TicketType) -> Duration {
    let m = &s.ttl_minutes;
    Duration::minutes(match t {
        TicketType::ApplyAsset => m.apply_asset,
        TicketType::LoginConfirm => m.login_confirm,
        TicketType::LoginAssetConfirm => m.login_asset_confirm,
        TicketType::CommandConfirm => m.command_confirm,
        // Policy changes wait as long as access requests.
        TicketType::PolicyChange => m.apply_asset,
    })
}

const MAX_TTL: i64 = 366 * 24 * 60;
/// Furthest ahead a grant's holder is told it ends, in hours (30 days).
const MAX_NOTICE_HOURS: i64 = 720;

pub async fn patch(
    pool: &PgPool,
    v: &Viewer,
    body: SettingsPatch,
) -> Result<SettingsDto, AppError> {
    require_super(v)?;
    if let Some(d) = body.default_period_days {
        if !(1..=3650).contains(&d) {
            return Err(AppError::invalid(
                "default_period_days",
                "The default request period is 1 to 3650 days.",
            ));
        }
    }
    if let Some(t) = &body.ttl_minutes {
        for (field, n) in [
            ("ttl_minutes.apply_asset", t.apply_asset),
            ("ttl_minutes.login_confirm", t.login_confirm),
            ("ttl_minutes.login_asset_confirm", t.login_asset_confirm),
            ("ttl_minutes.command_confirm", t.command_confirm),
        ] {
            if !(1..=MAX_TTL).contains(&n) {
                return Err(AppError::invalid(
                    field,
                    format!("A time to live is 1 to {MAX_TTL} minutes (a year)."),
                ));
            }
        }
    }
    if let Some(h) = body.grant_ending_notice_hours {
        if !(0..=MAX_NOTICE_HOURS).contains(&h) {
            return Err(AppError::invalid(
                "grant_ending_notice_hours",
                format!("The notice before a grant ends is 0 (none) to {MAX_NOTICE_HOURS} hours."),
            ));
        }
    }
    let mut tx = pool.begin().await?;
    let mut put = Vec::new();
    if let Some(d) = body.default_period_days {
        put.push(("default_period_days", serde_json::json!(d)));
    }
    if let Some(t) = body.ttl_minutes {
        put.push(("ttl_minutes", serde_json::to_value(t).unwrap_or_default()));
    }
    if let Some(b) = body.direct_email_approval {
        put.push(("direct_email_approval", serde_json::json!(b)));
    }
    if let Some(h) = body.grant_ending_notice_hours {
        put.push(("grant_ending_notice_hours", serde_json::json!(h)));
    }
    for (k, val) in put {
        crate::store::settings::put(&mut *tx, k, val, v.id).await?;
    }
    tx.commit().await?;
    get(pool).await
}
