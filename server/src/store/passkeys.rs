//! Passkeys (WebAuthn credentials) and the ceremonies under way.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use uuid::Uuid;

use super::errors::ResultExt;

/// A registered passkey: what the person sees of it, and the credential.
#[derive(Debug, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: Uuid,
    pub name: String,
    pub passkey: Value,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `user`'s passkeys, oldest first.
pub async fn of_user(db: impl PgExecutor<'_>, user: Uuid) -> Result<Vec<PasskeyRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, passkey, created_at, last_used_at FROM passkeys
          WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user)
    .fetch_all(db)
    .await?)
}

/// Keeps a newly registered passkey; 409 when its credential is registered already.
pub async fn insert(
    db: impl PgExecutor<'_>,
    user: Uuid,
    name: &str,
    credential_id: &[u8],
    passkey: &Value,
) -> Result<PasskeyRow, AppError> {
    sqlx::query_as(
        "INSERT INTO passkeys (id, user_id, name, credential_id, passkey) VALUES (gen_random_uuid(), $1, $2, $3, $4)
         RETURNING id, name, passkey, created_at, last_used_at",
    )
    .bind(user)
    .bind(name)
    .bind(credential_id)
    .bind(passkey)
    .fetch_one(db)
    .await
    .on_constraint("passkeys_credential_id_key", |_| {
        AppError::conflict(
            "already_exists",
            "This passkey is registered already.",
        )
    })
}

/// Renames one of `user`'s passkeys: None when there is no such passkey of theirs.
pub async fn rename(
    db: impl PgExecutor<'_>,
    user: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<PasskeyRow>, AppError> {
    Ok(sqlx::query_as(
        "UPDATE passkeys SET name = $3 WHERE id = $2 AND user_id = $1
         RETURNING id, name, passkey, created_at, last_used_at",
    )
    .bind(user)
    .bind(id)
    .bind(name)
    .fetch_optional(db)
    .await?)
}

/// Notes a use of a passkey, with its credential as it is after that use (its counter).
pub async fn used(db: impl PgExecutor<'_>, id: Uuid, passkey: &Value) -> Result<(), AppError> {
    sqlx::query("UPDATE passkeys SET passkey = $2, last_used_at = now() WHERE id = $1")
        .bind(id)
        .bind(passkey)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes one of `user`'s passkeys: false when there was no such passkey of theirs.
pub async fn remove(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM passkeys WHERE id = $2 AND user_id = $1")
            .bind(user)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Removes all of `user`'s passkeys (a reset): how many there were.
pub async fn remove_all(db: &mut PgConnection, user: Uuid) -> Result<u64, AppError> {
    Ok(sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
        .bind(user)
        .execute(db)
        .await?
        .rows_affected())
}

/// Keeps the server's half of a ceremony of `user` for `purpose` until `expires_at`,
/// replacing one of the same purpose.
pub async fn begin_ceremony(
    db: impl PgExecutor<'_>,
    user: Uuid,
    purpose: &str,
    state: &Value,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO passkey_ceremonies (user_id, purpose, state, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, purpose) DO UPDATE SET state = EXCLUDED.state, expires_at = EXCLUDED.expires_at",
    )
    .bind(user)
    .bind(purpose)
    .bind(state)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes (once) the ceremony of `user` for `purpose`, if it is still within its time.
pub async fn take_ceremony(
    db: impl PgExecutor<'_>,
    user: Uuid,
    purpose: &str,
) -> Result<Option<Value>, AppError> {
    Ok(sqlx::query_scalar(
        "DELETE FROM passkey_ceremonies WHERE user_id = $1 AND purpose = $2
         RETURNING CASE WHEN expires_at > now() THEN state END",
    )
    .bind(user)
    .bind(purpose)
    .fetch_optional(db)
    .await?
    .flatten())
}
