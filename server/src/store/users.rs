//! Users and their memberships.

use sqlx::{PgExecutor, PgPool};
use tollgate_app::model::{Membership, Viewer};
use tollgate_app::AppError;
use tollgate_core::{OrgRole, SystemRole};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub system_role: String,
    pub active: bool,
}

pub fn parse_system_role(s: &str) -> SystemRole {
    if s == "super_admin" {
        SystemRole::SuperAdmin
    } else {
        SystemRole::User
    }
}

pub fn system_role_str(r: SystemRole) -> &'static str {
    match r {
        SystemRole::SuperAdmin => "super_admin",
        SystemRole::User => "user",
    }
}

pub fn parse_org_role(s: &str) -> OrgRole {
    match s {
        "org_admin" => OrgRole::OrgAdmin,
        "org_auditor" => OrgRole::OrgAuditor,
        _ => OrgRole::OrgUser,
    }
}

pub fn org_role_str(r: OrgRole) -> &'static str {
    match r {
        OrgRole::OrgAdmin => "org_admin",
        OrgRole::OrgAuditor => "org_auditor",
        OrgRole::OrgUser => "org_user",
    }
}

pub async fn by_username(pool: &PgPool, username: &str) -> Result<Option<UserRow>, AppError> {
    Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, username, display_name, email, password_hash, system_role, active
         FROM users WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?)
}

/// The signed-in view of a user, with their orgs.
pub async fn viewer(pool: &PgPool, id: Uuid) -> Result<Option<Viewer>, AppError> {
    viewer_where(pool, "u.id = $1", id).await
}

/// The signed-in view of the active user behind a live session (by its token's digest), in
/// one query: every request of a browser asks it.
pub async fn viewer_of_session(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<Viewer>, AppError> {
    viewer_where(
        pool,
        "u.id = (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > now())",
        token_hash,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct ViewerRow {
    id: Uuid,
    username: String,
    display_name: String,
    email: String,
    system_role: String,
    org_ids: Vec<Uuid>,
    org_names: Vec<String>,
    roles: Vec<String>,
}

async fn viewer_where<'a, T>(pool: &PgPool, cond: &str, bind: T) -> Result<Option<Viewer>, AppError>
where
    T: 'a + Send + sqlx::Encode<'a, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let Some(u) = sqlx::query_as::<_, ViewerRow>(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.username, u.display_name, u.email, u.system_role,
                COALESCE(array_agg(o.id ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS org_ids,
                COALESCE(array_agg(o.name ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS org_names,
                COALESCE(array_agg(m.role ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{{}}') AS roles
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id
         LEFT JOIN orgs o ON o.id = m.org_id
         WHERE {cond} AND u.active
         GROUP BY u.id"
    )))
    .bind(bind)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        system_role: parse_system_role(&u.system_role),
        orgs: u
            .org_ids
            .into_iter()
            .zip(u.org_names)
            .zip(u.roles)
            .map(|((org_id, org_name), role)| Membership {
                org_id,
                org_name,
                role: parse_org_role(&role),
            })
            .collect(),
        presence: Default::default(),
    }))
}

/// A new user to write.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub system_role: SystemRole,
}

pub async fn insert(db: impl PgExecutor<'_>, u: &NewUser<'_>) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, system_role)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(system_role_str(u.system_role))
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn add_membership(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(org_role_str(role))
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every session of `user` but the one whose token is `keep` (if any), and revokes every
/// API token of theirs: what changing one's own password or email does.
pub async fn end_other_sessions(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    keep: Option<&str>,
) -> Result<(), AppError> {
    let keep = keep.map(crate::identity::session::digest);
    sqlx::query(
        "WITH s AS (DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2))
         UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .bind(keep)
    .execute(&mut *db)
    .await?;
    Ok(())
}

// ---- memberships and invitations ----

/// An org's members and the people invited to it: (id, username, display name, role, active,
/// invited), by username.
pub async fn members_and_invitees(
    pool: &PgPool,
    org: Uuid,
) -> Result<Vec<(Uuid, String, String, String, bool, bool)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, x.role, u.active, x.invited FROM (
            SELECT user_id, role, false AS invited FROM memberships WHERE org_id = $1
            UNION ALL
            SELECT user_id, role, true FROM org_invitations i WHERE org_id = $1
              AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1 AND m.user_id = i.user_id)
         ) x JOIN users u ON u.id = x.user_id ORDER BY lower(u.username), x.invited",
    )
    .bind(org)
    .fetch_all(pool)
    .await?)
}

pub async fn is_member(pool: &PgPool, org: Uuid, user: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2)",
    )
    .bind(org)
    .bind(user)
    .fetch_one(pool)
    .await?)
}

pub async fn upsert_membership(
    db: impl PgExecutor<'_>,
    org: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role",
    )
    .bind(org)
    .bind(user)
    .bind(role)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn upsert_invitation(
    pool: &PgPool,
    org: Uuid,
    user: Uuid,
    role: &str,
    by: Uuid,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO org_invitations (org_id, user_id, role, invited_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by",
    )
    .bind(org)
    .bind(user)
    .bind(role)
    .bind(by)
    .execute(pool)
    .await?;
    Ok(())
}

/// Withdraws an invitation; whether there was one.
pub async fn delete_invitation(
    db: impl PgExecutor<'_>,
    org: Uuid,
    user: Uuid,
) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .execute(db)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The invitation's role, removing it; None when there is none.
pub async fn take_invitation(
    db: &mut sqlx::PgConnection,
    org: Uuid,
    user: Uuid,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "DELETE FROM org_invitations WHERE org_id = $1 AND user_id = $2 RETURNING role",
    )
    .bind(org)
    .bind(user)
    .fetch_optional(&mut *db)
    .await?)
}

type InvitationRow = (
    Uuid,
    String,
    String,
    Option<(Uuid, String, String)>,
    chrono::DateTime<chrono::Utc>,
);

/// A person's invitations: (org, org name, role, who invited, when), newest first.
pub async fn invitations_of(pool: &PgPool, user: Uuid) -> Result<Vec<InvitationRow>, AppError> {
    type Row = (
        Uuid,
        String,
        String,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.org_id, o.name, i.role, b.id, b.username, b.display_name, i.created_at
         FROM org_invitations i JOIN orgs o ON o.id = i.org_id
         LEFT JOIN users b ON b.id = i.invited_by
         WHERE i.user_id = $1 ORDER BY i.created_at DESC",
    )
    .bind(user)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let by = match (r.3, r.4, r.5) {
                (Some(id), Some(u), Some(d)) => Some((id, u, d)),
                _ => None,
            };
            (r.0, r.1, r.2, by, r.6)
        })
        .collect())
}

// ---- password set-up links (welcome.rs) ----

/// Records a one-time password set-up link (its token's digest) valid until `expires_at`.
pub async fn insert_password_setup(
    db: &mut sqlx::PgConnection,
    token_hash: &[u8],
    user: Uuid,
    by: Uuid,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO password_setups (token_hash, user_id, created_by, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(by)
    .bind(expires_at)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Whose live, unused set-up link this is: (user id, username).
pub async fn password_setup_user(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<(Uuid, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username FROM password_setups p JOIN users u ON u.id = p.user_id
         WHERE p.token_hash = $1 AND p.used_at IS NULL AND p.expires_at > now() AND u.active",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?)
}

/// Spends the link and sets the password, in one statement; false when the link was not live.
pub async fn use_password_setup(
    pool: &PgPool,
    token_hash: &[u8],
    password_hash: &str,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "WITH used AS (
            UPDATE password_setups SET used_at = now()
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id)
         UPDATE users SET password_hash = $2 FROM used WHERE users.id = used.user_id AND users.active",
    )
    .bind(token_hash)
    .bind(password_hash)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

/// An in-app message that is also mailed to `mail_to` (the mail worker sends it with its link).
pub async fn insert_mailed_notice(
    db: &mut sqlx::PgConnection,
    user: Uuid,
    kind: &str,
    title: &str,
    body: &str,
    link: &str,
    mail_to: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, mail_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::new_v4())
    .bind(user)
    .bind(kind)
    .bind(title)
    .bind(body)
    .bind(link)
    .bind(mail_to)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Tells a person (in the app, and by mail when they have an address) of an invitation.
pub async fn notify_invitation(
    pool: &PgPool,
    org: Uuid,
    user: Uuid,
    by_username: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, mail_to)
         SELECT $1, u.id, 'invited', $3 || ' invites you to ' || o.name,
                'Accept or decline on your notifications page.', '/notifications',
                nullif(u.email, '')
         FROM users u, orgs o WHERE u.id = $2 AND o.id = $4",
    )
    .bind(Uuid::new_v4())
    .bind(user)
    .bind(by_username)
    .bind(org)
    .execute(pool)
    .await?;
    Ok(())
}

/// How many of `ids` are users.
pub async fn count_existing(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM users WHERE id = ANY($1)")
            .bind(ids)
            .fetch_one(db)
            .await?,
    )
}

/// How many of `ids` are active users.
pub async fn count_active(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM users WHERE id = ANY($1) AND active")
            .bind(ids)
            .fetch_one(db)
            .await?,
    )
}

/// A user's id, username and whether they are active, by id.
pub async fn status_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<(Uuid, String, bool)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, username, active FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// A user's id, username and whether they are active, by username (exactly as written).
pub async fn status_by_username(
    db: impl PgExecutor<'_>,
    username: &str,
) -> Result<Option<(Uuid, String, bool)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, username, active FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(db)
            .await?,
    )
}

/// Up to 50 active users whose username or display name matches `like` (a
/// [`crate::store::contains_pattern`]; None: everyone), by username.
pub async fn search_active(
    db: impl PgExecutor<'_>,
    like: Option<String>,
) -> Result<Vec<tollgate_app::dto::Person>, AppError> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, username, display_name FROM users
         WHERE active AND ($1::text IS NULL OR lower(username) LIKE $1 OR lower(display_name) LIKE $1)
         ORDER BY lower(username) LIMIT 50",
    )
    .bind(like)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display_name)| tollgate_app::dto::Person {
            id,
            username,
            display_name,
        })
        .collect())
}

// ---- administration of people ----

use super::errors::{taken, ResultExt};

pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, AppError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// A person as the administration lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub system_role: String,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// An authenticator app is set up.
    pub second_factor: bool,
}

/// Who a viewer may see: everyone (`all`), themselves (`me`), and the members of `orgs`.
pub struct Visible<'a> {
    pub all: bool,
    pub me: Uuid,
    pub orgs: &'a [Uuid],
}

/// The people `visible`, by username (at most 500): those whose username, display name or
/// email matches `like` (a `contains_pattern`), and members of `org`, when given.
pub async fn search(
    db: impl PgExecutor<'_>,
    visible: Visible<'_>,
    like: Option<String>,
    org: Option<Uuid>,
) -> Result<Vec<PersonRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, username, display_name, email, system_role, active, created_at,
                (EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = u.id
                          AND f.confirmed_at IS NOT NULL)
                 OR EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = u.id)) AS second_factor
           FROM users u
         WHERE ($1 OR u.id = $2 OR u.id IN (SELECT user_id FROM memberships WHERE org_id = ANY($3)))
           AND ($4::text IS NULL OR lower(u.username) LIKE $4 OR lower(u.display_name) LIKE $4 OR lower(u.email) LIKE $4)
           AND ($5::uuid IS NULL OR u.id IN (SELECT user_id FROM memberships WHERE org_id = $5))
         ORDER BY lower(u.username) LIMIT 500",
    )
    .bind(visible.all)
    .bind(visible.me)
    .bind(visible.orgs)
    .bind(like)
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// The person `id`, if `visible`.
pub async fn person(
    db: impl PgExecutor<'_>,
    id: Uuid,
    visible: Visible<'_>,
) -> Result<Option<PersonRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, username, display_name, email, system_role, active, created_at,
                (EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = users.id
                          AND f.confirmed_at IS NOT NULL)
                 OR EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = users.id)) AS second_factor
           FROM users
         WHERE id = $1 AND ($2 OR id = $3 OR id IN (SELECT user_id FROM memberships WHERE org_id = ANY($4)))",
    )
    .bind(id)
    .bind(visible.all)
    .bind(visible.me)
    .bind(visible.orgs)
    .fetch_optional(db)
    .await?)
}

/// The memberships of `users`: (user id, org id, org name, role), by org name.
pub async fn orgs_of(
    db: impl PgExecutor<'_>,
    users: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT m.user_id, o.id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = ANY($1) ORDER BY lower(o.name)",
    )
    .bind(users)
    .fetch_all(db)
    .await?)
}

/// Writes a new user with the id `id` chosen by the caller; a username in use (whatever its
/// case) is a 409 on `username`.
pub async fn create(db: impl PgExecutor<'_>, id: Uuid, u: &NewUser<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, system_role) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(system_role_str(u.system_role))
    .execute(db)
    .await
    .on_constraint("users_username_key", |_| {
        taken("User", u.username, "username")
    })?;
    Ok(())
}

/// Makes a new user a member of `org` in `role`; when there is no such org, the error
/// `no_such_org` makes.
pub async fn join(
    db: impl PgExecutor<'_>,
    org: Uuid,
    user: Uuid,
    role: OrgRole,
    no_such_org: impl FnOnce() -> AppError,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role")
        .bind(org)
        .bind(user)
        .bind(org_role_str(role))
        .execute(db)
        .await
        .on_constraint("memberships_org_id_fkey", |_| no_such_org())?;
    Ok(())
}

/// What changes of a user; None keeps a value.
#[derive(Debug, Default)]
pub struct UserChanges<'a> {
    pub display_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub system_role: Option<SystemRole>,
    pub active: Option<bool>,
}

pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    c: &UserChanges<'_>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE users SET display_name = COALESCE($2, display_name), email = COALESCE($3, email),
            password_hash = COALESCE($4, password_hash), system_role = COALESCE($5, system_role),
            active = COALESCE($6, active)
         WHERE id = $1",
    )
    .bind(id)
    .bind(c.display_name)
    .bind(c.email)
    .bind(c.password_hash)
    .bind(c.system_role.map(system_role_str))
    .bind(c.active)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every session and revokes every API token of `user`.
pub async fn end_all_sessions(db: &mut sqlx::PgConnection, user: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Ends `user`'s membership of `org`; false when there was none.
pub async fn leave(db: impl PgExecutor<'_>, org: Uuid, user: Uuid) -> Result<bool, AppError> {
    let n = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(db)
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// The username of `user`.
pub async fn username_of(db: impl PgExecutor<'_>, user: Uuid) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(db)
            .await?,
    )
}
