//! Single sign-on: the providers' settings, the links between people and their identity at a
//! provider, the group mappings, and the OpenID Connect sign-ins under way.

use sqlx::{PgConnection, PgExecutor};
use tollgate_app::AppError;
use tollgate_core::sso::GroupRule;
use tollgate_core::OrgRole;
use uuid::Uuid;

use super::errors::{taken, ResultExt};
use super::users::{org_role_str, parse_org_role};

/// The stored settings of a provider kind (`oidc` or `ldap`), if any.
pub async fn provider(
    db: impl PgExecutor<'_>,
    kind: &str,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT config FROM sign_in_providers WHERE kind = $1")
            .bind(kind)
            .fetch_optional(db)
            .await?,
    )
}

/// Writes the settings of a provider kind; `by` is None for the first-start environment.
pub async fn put_provider(
    db: impl PgExecutor<'_>,
    kind: &str,
    config: &serde_json::Value,
    by: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sign_in_providers (kind, config, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (kind) DO UPDATE SET config = EXCLUDED.config, updated_at = now(), updated_by = EXCLUDED.updated_by",
    )
    .bind(kind)
    .bind(config)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// Writes the settings of a provider kind only when none are stored: true when it wrote.
pub async fn seed_provider(
    db: impl PgExecutor<'_>,
    kind: &str,
    config: &serde_json::Value,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "INSERT INTO sign_in_providers (kind, config) VALUES ($1, $2) ON CONFLICT (kind) DO NOTHING",
    )
    .bind(kind)
    .bind(config)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The user linked to (`issuer`, `subject`), with whether they are active.
pub async fn linked_user(
    db: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
) -> Result<Option<(Uuid, bool)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.active FROM user_identities i JOIN users u ON u.id = i.user_id
         WHERE i.issuer = $1 AND i.subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(db)
    .await?)
}

/// Links a user to (`issuer`, `subject`) at `provider`, noting the sign-in.
pub async fn link(
    db: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
    user: Uuid,
    provider: &str,
    login: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO user_identities (issuer, subject, user_id, provider, login) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (issuer, subject) DO UPDATE SET login = EXCLUDED.login, last_sign_in = now()",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user)
    .bind(provider)
    .bind(login)
    .execute(db)
    .await?;
    Ok(())
}

/// How a person signs in with a provider: (`provider`, `login`) of each of their links.
pub async fn links_of(
    db: impl PgExecutor<'_>,
    user: Uuid,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT provider, login FROM user_identities WHERE user_id = $1 ORDER BY provider",
    )
    .bind(user)
    .fetch_all(db)
    .await?)
}

/// The active people linked to an LDAP directory (`issuer`): (user, subject, DN).
pub async fn ldap_people(
    db: impl PgExecutor<'_>,
    issuer: &str,
) -> Result<Vec<(Uuid, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, i.subject, i.login FROM user_identities i JOIN users u ON u.id = i.user_id
         WHERE i.issuer = $1 AND i.provider = 'ldap' AND u.active",
    )
    .bind(issuer)
    .fetch_all(db)
    .await?)
}

/// One stored mapping.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MappingRow {
    pub id: Uuid,
    pub provider: String,
    pub group_name: String,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub org_role: Option<String>,
    pub super_admin: bool,
}

impl MappingRow {
    pub fn rule(&self) -> GroupRule {
        GroupRule {
            group: self.group_name.clone(),
            org: self
                .org_id
                .zip(self.org_role.as_deref())
                .map(|(o, r)| (o, parse_org_role(r))),
            super_admin: self.super_admin,
        }
    }
}

/// The mappings, of one provider or of all.
pub async fn mappings(
    db: impl PgExecutor<'_>,
    provider: Option<&str>,
) -> Result<Vec<MappingRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.provider, m.group_name, m.org_id, o.name AS org_name, m.org_role, m.super_admin
         FROM group_mappings m LEFT JOIN orgs o ON o.id = m.org_id
         WHERE $1::text IS NULL OR m.provider = $1
         ORDER BY m.provider, lower(m.group_name), o.name NULLS FIRST",
    )
    .bind(provider)
    .fetch_all(db)
    .await?)
}

/// A new mapping. The same group mapped twice to one org (or twice to super admin alone) is a
/// 409 on `group`; an unknown org a 422 on `org_id`.
pub async fn add_mapping(
    db: impl PgExecutor<'_>,
    provider: &str,
    group: &str,
    org: Option<(Uuid, OrgRole)>,
    super_admin: bool,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    let n = sqlx::query(
        "INSERT INTO group_mappings (id, provider, group_name, org_id, org_role, super_admin)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM orgs WHERE id = $4)",
    )
    .bind(id)
    .bind(provider)
    .bind(group)
    .bind(org.map(|o| o.0))
    .bind(org.map(|o| org_role_str(o.1)))
    .bind(super_admin)
    .execute(db)
    .await
    .on_constraint("group_mappings_key", |_| {
        taken("A mapping of group", group, "group")
    })?
    .rows_affected();
    if n == 0 {
        return Err(AppError::invalid("org_id", "no such org"));
    }
    Ok(id)
}

/// Deletes a mapping; false when there was none.
pub async fn delete_mapping(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query("DELETE FROM group_mappings WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}

/// Makes `user`'s mapped memberships exactly `memberships` (org, role): adds or updates those
/// given (never over one an administrator made by hand), removes the mapped ones no longer
/// given. Sets super admin from the mapping in the same way (only a super admin role the
/// mapping gave is taken back). Returns the orgs whose membership it removed.
pub async fn apply_mapping(
    db: &mut PgConnection,
    user: Uuid,
    memberships: &[(Uuid, OrgRole)],
    super_admin: bool,
) -> Result<Vec<Uuid>, AppError> {
    let orgs: Vec<Uuid> = memberships.iter().map(|m| m.0).collect();
    let roles: Vec<&str> = memberships.iter().map(|m| org_role_str(m.1)).collect();
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, source)
         SELECT o, $1, r, 'sso' FROM unnest($2::uuid[], $3::text[]) AS m(o, r)
         WHERE EXISTS (SELECT 1 FROM orgs WHERE id = o)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role
           WHERE memberships.source = 'sso'",
    )
    .bind(user)
    .bind(&orgs)
    .bind(&roles)
    .execute(&mut *db)
    .await?;
    let removed: Vec<Uuid> = sqlx::query_scalar(
        "DELETE FROM memberships WHERE user_id = $1 AND source = 'sso' AND NOT (org_id = ANY($2))
         RETURNING org_id",
    )
    .bind(user)
    .bind(&orgs)
    .fetch_all(&mut *db)
    .await?;
    sqlx::query(
        "UPDATE users SET
            system_role = CASE WHEN $2 THEN 'super_admin'
                               WHEN super_admin_from_sso THEN 'user' ELSE system_role END,
            super_admin_from_sso = CASE WHEN $2 THEN (super_admin_from_sso OR system_role <> 'super_admin')
                                        ELSE false END
         WHERE id = $1",
    )
    .bind(user)
    .bind(super_admin)
    .execute(&mut *db)
    .await?;
    Ok(removed)
}

/// Keeps an OpenID Connect sign-in under way (its state as a digest).
pub async fn start_oidc(
    db: impl PgExecutor<'_>,
    state_hash: &[u8],
    nonce: &str,
    pkce_verifier: &str,
    next: &str,
) -> Result<(), AppError> {
    // Sign-ins never finished are forgotten after ten minutes, here rather than by a job.
    sqlx::query(
        "WITH gone AS (DELETE FROM oidc_logins WHERE created_at < now() - interval '10 minutes')
         INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, next) VALUES ($1, $2, $3, $4)",
    )
    .bind(state_hash)
    .bind(nonce)
    .bind(pkce_verifier)
    .bind(next)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the sign-in under way with this state digest, once: (nonce, PKCE verifier, next).
/// None when unknown, used or older than ten minutes.
pub async fn take_oidc(
    db: impl PgExecutor<'_>,
    state_hash: &[u8],
) -> Result<Option<(String, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "DELETE FROM oidc_logins WHERE state_hash = $1 AND created_at > now() - interval '10 minutes'
         RETURNING nonce, pkce_verifier, next",
    )
    .bind(state_hash)
    .fetch_optional(db)
    .await?)
}
