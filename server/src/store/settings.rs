//! Settings an administrator changes at run time: JSON values by key.

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

/// The stored (key, value) rows of the settings Tollgate knows.
pub async fn known(db: impl PgExecutor<'_>) -> Result<Vec<(String, serde_json::Value)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT key, value FROM settings WHERE key IN ('default_period_days', 'ttl_minutes', 'direct_email_approval', 'grant_ending_notice_hours')",
    )
    .fetch_all(db)
    .await?)
}

/// Sets `key` to `value`, noting who changed it and when.
pub async fn put(
    db: impl PgExecutor<'_>,
    key: &str,
    value: serde_json::Value,
    by: Uuid,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), $3)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by",
    )
    .bind(key)
    .bind(value)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// The stored value of one setting, if set.
pub async fn get(
    db: impl PgExecutor<'_>,
    key: &str,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(db)
            .await?,
    )
}

/// Sets `key` to `value` as Tollgate itself (no person changed it).
pub async fn put_by_system(
    db: impl PgExecutor<'_>,
    key: &str,
    value: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), NULL)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = NULL",
    )
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}
