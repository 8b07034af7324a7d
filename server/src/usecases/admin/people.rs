//! Orgs, users and memberships.

use sqlx::PgPool;
use tollgate_app::admin_dto::*;
use tollgate_app::dto::Person;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{OrgRole, SystemRole};
use uuid::Uuid;

use super::{may_oversee, name, require_admin, require_super, role_in};
use crate::store::users::{self, org_role_str, parse_org_role, parse_system_role, Visible};
use crate::store::{estate, orgs};

// ---- orgs ----

fn org_dto(r: orgs::OrgRow) -> OrgDetail {
    OrgDetail {
        id: r.id,
        name: r.name,
        root_node_id: r.root,
        members: r.members,
        assets: r.assets,
        created_at: r.created_at,
    }
}

/// Orgs with counts: all for super admins, else the viewer's own.
pub async fn list_orgs(pool: &PgPool, v: &Viewer) -> Result<Vec<OrgDetail>, AppError> {
    let ids: Vec<Uuid> = v.orgs.iter().map(|m| m.org_id).collect();
    let rows = orgs::list(pool, v.is_super_admin(), &ids).await?;
    Ok(rows.into_iter().map(org_dto).collect())
}

pub async fn get_org(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<OrgDetail, AppError> {
    if !v.is_super_admin() && role_in(v, id).is_none() {
        return Err(AppError::not_found("Org"));
    }
    let row = orgs::get(pool, id).await?;
    row.map(org_dto).ok_or_else(|| AppError::not_found("Org"))
}

/// A new org and its root node (named like the org).
pub async fn create_org(pool: &PgPool, v: &Viewer, body: NewOrg) -> Result<OrgDetail, AppError> {
    require_super(v)?;
    let org_name = name("name", &body.name, 128)?;
    if org_name.contains('/') {
        return Err(AppError::invalid(
            "name",
            "An org name cannot contain \"/\".",
        ));
    }
    let mut tx = pool.begin().await?;
    let id = crate::store::directory::insert_org(&mut *tx, &org_name).await?;
    crate::store::directory::insert_node(&mut *tx, id, None, &org_name).await?;
    tx.commit().await?;
    get_org(pool, v, id).await
}

pub async fn patch_org(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    body: OrgPatch,
) -> Result<OrgDetail, AppError> {
    get_org(pool, v, id).await?;
    require_admin(v, id)?;
    if let Some(raw) = body.name {
        let new_name = name("name", &raw, 128)?;
        if new_name.contains('/') {
            return Err(AppError::invalid(
                "name",
                "An org name cannot contain \"/\".",
            ));
        }
        let mut tx = pool.begin().await?;
        orgs::rename(&mut *tx, id, &new_name).await?;
        // The root node carries the org's name: paths read /Org/…
        estate::rename_root(&mut *tx, id, &new_name).await?;
        tx.commit().await?;
    }
    get_org(pool, v, id).await
}

/// Deletes an org with nothing in it: no assets and no tickets (their history must stay).
pub async fn delete_org(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    let org = get_org(pool, v, id).await?;
    require_super(v)?;
    let tickets = orgs::ticket_count(pool, id).await?;
    if org.assets > 0 || tickets > 0 {
        return Err(AppError::conflict(
            "not_empty",
            format!(
                "{} still has {} assets and {} tickets; only an empty org can be deleted.",
                org.name, org.assets, tickets
            ),
        ));
    }
    let mut tx = pool.begin().await?;
    estate::delete_tree(&mut tx, id).await?;
    orgs::delete(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

// ---- members ----

pub async fn members(pool: &PgPool, v: &Viewer, org: Uuid) -> Result<Vec<MemberDto>, AppError> {
    get_org(pool, v, org).await?;
    if !may_oversee(v, org) {
        return Err(AppError::forbidden(
            "Only super admins and the org's admins and auditors see its members.",
        ));
    }
    let rows = users::members_and_invitees(pool, org).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, username, display_name, role, active, invited)| MemberDto {
                user: Person {
                    id,
                    username,
                    display_name,
                },
                role: parse_org_role(&role),
                active,
                invited,
            },
        )
        .collect())
}

pub async fn put_member(
    pool: &PgPool,
    v: &Viewer,
    org: Uuid,
    body: PutMember,
) -> Result<Vec<MemberDto>, AppError> {
    get_org(pool, v, org).await?;
    require_admin(v, org)?;
    if !users::exists(pool, body.user_id).await? {
        return Err(AppError::invalid("user_id", "No such user."));
    }
    if body.user_id == v.id && !v.is_super_admin() && body.role != OrgRole::OrgAdmin {
        return Err(AppError::invalid(
            "role",
            "You cannot lower your own role: ask another admin.",
        ));
    }
    // Org admins are approvers wherever a flow asks "the org's admins": only a super admin
    // makes one, or an org admin could make a person of their own making approve for them.
    if !v.is_super_admin() && body.role == OrgRole::OrgAdmin && body.user_id != v.id {
        return Err(AppError::forbidden(
            "Only super admins make org admins (org admins approve wherever a flow asks for them).",
        ));
    }
    // A super admin adds anyone; an org admin changes the role of a member, but someone who
    // is not a member yet is only invited: they join (and the admin sees them) once they accept.
    let member = users::is_member(pool, org, body.user_id).await?;
    if v.is_super_admin() || member {
        users::upsert_membership(pool, org, body.user_id, org_role_str(body.role)).await?;
        users::delete_invitation(pool, org, body.user_id).await?;
    } else {
        users::upsert_invitation(pool, org, body.user_id, org_role_str(body.role), v.id).await?;
        users::notify_invitation(pool, org, body.user_id, &v.username).await?;
        tracing::info!(by = %v.username, user = %body.user_id, org = %org, "invited to an org");
    }
    members(pool, v, org).await
}

/// The invitations waiting for the viewer.
pub async fn my_invitations(pool: &PgPool, v: &Viewer) -> Result<Vec<InvitationDto>, AppError> {
    Ok(users::invitations_of(pool, v.id)
        .await?
        .into_iter()
        .map(|r| InvitationDto {
            org_id: r.0,
            org_name: r.1,
            role: parse_org_role(&r.2),
            invited_by: r.3.map(|(id, username, display_name)| Person {
                id,
                username,
                display_name,
            }),
            created_at: r.4,
        })
        .collect())
}

/// The viewer accepts (joins the org with the invited role) or declines an invitation.
pub async fn answer_invitation(
    pool: &PgPool,
    v: &Viewer,
    org: Uuid,
    accept: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let role = users::take_invitation(&mut tx, org, v.id)
        .await?
        .ok_or_else(|| AppError::not_found("Invitation"))?;
    if accept {
        users::upsert_membership(&mut *tx, org, v.id, &role).await?;
    }
    tx.commit().await?;
    tracing::info!(user = %v.username, org = %org, accept, "invitation answered");
    Ok(())
}

pub async fn remove_member(
    pool: &PgPool,
    v: &Viewer,
    org: Uuid,
    user: Uuid,
) -> Result<(), AppError> {
    get_org(pool, v, org).await?;
    require_admin(v, org)?;
    if user == v.id && !v.is_super_admin() {
        return Err(AppError::invalid(
            "user_id",
            "You cannot remove yourself: ask another admin.",
        ));
    }
    let mut tx = pool.begin().await?;
    let was_member = users::leave(&mut *tx, org, user).await?;
    // Removing someone only invited withdraws the invitation.
    let invited = users::delete_invitation(&mut *tx, org, user).await?;
    if !was_member && !invited {
        return Err(AppError::not_found("Membership"));
    }
    // Access to the org's assets ends with the membership.
    crate::store::grants::revoke_in_org(&mut tx, user, org, Some(v.id), "the person left the org")
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---- users ----

/// Users with their memberships — only those of orgs the viewer oversees, unless it is the
/// viewer's own record or a super admin asks: an org admin learns nothing of a person's
/// other orgs.
async fn details(
    pool: &PgPool,
    v: &Viewer,
    rows: Vec<users::PersonRow>,
) -> Result<Vec<UserDetail>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let ms = users::orgs_of(pool, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| UserDetail {
            orgs: ms
                .iter()
                .filter(|m| m.0 == r.id)
                .filter(|m| r.id == v.id || super::may_oversee(v, m.1))
                .map(|m| UserOrg {
                    org_id: m.1,
                    org_name: m.2.clone(),
                    role: parse_org_role(&m.3),
                })
                .collect(),
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            system_role: parse_system_role(&r.system_role),
            active: r.active,
            created_at: r.created_at,
            second_factor: r.second_factor,
        })
        .collect())
}

fn overseen(v: &Viewer) -> Vec<Uuid> {
    v.orgs
        .iter()
        .filter(|m| matches!(m.role, OrgRole::OrgAdmin | OrgRole::OrgAuditor))
        .map(|m| m.org_id)
        .collect()
}

/// Who the viewer sees: everyone (super admins), themselves and the members of `overseen`.
fn visible_to<'a>(v: &Viewer, overseen: &'a [Uuid]) -> Visible<'a> {
    Visible {
        all: v.is_super_admin(),
        me: v.id,
        orgs: overseen,
    }
}

/// People the viewer administers or audits: everyone for super admins, the members of the
/// orgs they oversee for org admins and auditors, else only themselves.
pub async fn list_users(
    pool: &PgPool,
    v: &Viewer,
    q: Option<String>,
    org: Option<Uuid>,
) -> Result<Vec<UserDetail>, AppError> {
    let like = q
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| crate::store::contains_pattern(&s));
    let rows = users::search(pool, visible_to(v, &overseen(v)), like, org).await?;
    details(pool, v, rows).await
}

/// One user: themselves, super admins, and the admins and auditors of an org they are in.
pub async fn get_user(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<UserDetail, AppError> {
    let rows = users::person(pool, id, visible_to(v, &overseen(v)))
        .await?
        .into_iter()
        .collect();
    details(pool, v, rows)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("User"))
}

fn username(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid(
            "username",
            "A username is 1 to 64 letters, digits, '_', '.', '@' or '-'.",
        ))
    }
}

/// A display name: no control, text-direction or invisible formatting characters (they let a
/// name pass for another, e.g. with a right-to-left override); the rule is core's.
fn display_name(raw: &str) -> Result<String, AppError> {
    tollgate_core::person::parse_display_name(raw)
        .map_err(|e| AppError::invalid(&e.field, e.reason))
}

fn email(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let ok = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid("email", "That is not an email address."))
    }
}

fn password(raw: &str) -> Result<String, AppError> {
    let n = raw.chars().count();
    if !(8..=1024).contains(&n) {
        return Err(AppError::invalid(
            "password",
            "A password is 8 to 1024 characters.",
        ));
    }
    Ok(raw.to_string())
}

/// Creates a user. Super admins may make anyone; an org admin may make plain users who
/// belong to orgs they administer (at least one).
pub async fn create_user(pool: &PgPool, v: &Viewer, body: NewUser) -> Result<UserDetail, AppError> {
    let role = body.system_role.unwrap_or(SystemRole::User);
    if !v.is_super_admin() {
        let admins_all =
            !body.orgs.is_empty() && body.orgs.iter().all(|m| super::may_admin(v, m.org_id));
        if role == SystemRole::SuperAdmin || !admins_all {
            return Err(AppError::forbidden(
                "Only super admins create users, or org admins create members of their orgs.",
            ));
        }
        if body.orgs.iter().any(|m| m.role == OrgRole::OrgAdmin) {
            return Err(AppError::forbidden(
                "Only super admins make org admins (org admins approve wherever a flow asks for them).",
            ));
        }
    }
    let uname = username(&body.username)?;
    let display = if body.display_name.trim().is_empty() {
        uname.clone()
    } else {
        display_name(&body.display_name)?
    };
    let mail = email(&body.email)?;
    // Nobody but the person (or a super admin) chooses a password: an org admin's new person
    // gets a one-time link by email to choose theirs.
    if !body.password.is_empty() && !v.is_super_admin() {
        return Err(AppError::forbidden(
            "Only super admins set passwords. Leave it empty: the person gets a link by email to choose their own.",
        ));
    }
    if body.password.is_empty() && mail.is_empty() {
        return Err(AppError::invalid(
            "email",
            "An email address is needed to send the person a link to choose their password.",
        ));
    }
    let hash = if body.password.is_empty() {
        None
    } else {
        Some(crate::identity::password::hash(password(&body.password)?).await?)
    };
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    users::create(
        &mut *tx,
        id,
        &users::NewUser {
            username: &uname,
            display_name: &display,
            email: &mail,
            password_hash: hash.as_deref(),
            system_role: role,
        },
    )
    .await?;
    if hash.is_none() {
        crate::identity::welcome::invite(&mut tx, id, &uname, &mail, v.id).await?;
    } else if v.is_super_admin() && v.id != id {
        tracing::info!(by = %v.username, user = %uname, "password chosen by a super admin");
    }
    for (i, m) in body.orgs.iter().enumerate() {
        users::join(&mut *tx, m.org_id, id, m.role, || {
            AppError::invalid(&format!("orgs[{i}].org_id"), "No such org.")
        })
        .await?;
    }
    tx.commit().await?;
    tracing::info!(by = %v.username, user = %uname, "user created");
    get_user(pool, v, id).await
}

/// How the caller of a change proved who they are.
#[derive(Debug, Clone, Default)]
pub struct CallerAuth {
    /// Through an API token (never enough to change one's own password or email).
    pub bearer: bool,
    /// The caller's session token, when signed in with a browser session: that session
    /// stays when they change their own password; every other one ends.
    pub session_token: Option<String>,
    /// The client, for the guessing limit on the current password.
    pub client_ip: Option<std::net::IpAddr>,
}

/// Changes a user. Themselves: name, email, password. Super admins: everything (not their
/// own role or active flag: no one locks themselves out).
///
/// One's own password or email is what takes an account over, so changing it needs the
/// current password and a browser session (never an API token: a leaked token must not be
/// enough to keep the account), and it ends every other session and every API token.
pub async fn patch_user(
    pool: &PgPool,
    config: &crate::Config,
    v: &Viewer,
    id: Uuid,
    body: UserPatch,
    auth: &CallerAuth,
) -> Result<UserDetail, AppError> {
    get_user(pool, v, id).await?;
    let own = id == v.id;
    let own_credentials = own && (body.password.is_some() || body.email.is_some());
    if own_credentials {
        if auth.bearer {
            return Err(AppError::new(
                403,
                "session_required",
                "Your own password and email can only be changed while signed in with your \
                 password in a browser, not with an API token.",
            ));
        }
        let current = body.current_password.as_deref().unwrap_or("");
        if current.is_empty() {
            return Err(AppError::invalid(
                "current_password",
                "Give your current password to change your password or email.",
            ));
        }
        // Guesses of the current password count like failed sign-ins (and are limited alike).
        let attempt =
            crate::identity::ratelimit::reserve(pool, config, &v.username, auth.client_ip).await?;
        let stored = users::by_username(pool, &v.username)
            .await?
            .filter(|u| u.id == v.id && u.active)
            .and_then(|u| u.password_hash);
        if !crate::identity::password::verify(current.chars().take(1024).collect(), stored).await {
            return Err(AppError::invalid(
                "current_password",
                "That is not your current password.",
            ));
        }
        attempt.succeeded(pool).await?;
    }
    if !v.is_super_admin() {
        if !own {
            return Err(AppError::forbidden(
                "Only super admins change other people.",
            ));
        }
        if body.system_role.is_some() || body.active.is_some() {
            return Err(AppError::forbidden(
                "Only super admins change roles and deactivate people.",
            ));
        }
    }
    if own && body.active == Some(false) {
        return Err(AppError::invalid(
            "active",
            "You cannot deactivate yourself.",
        ));
    }
    if own && body.system_role == Some(SystemRole::User) && v.is_super_admin() {
        return Err(AppError::invalid(
            "system_role",
            "You cannot take away your own super admin role: ask another super admin.",
        ));
    }
    let display = body.display_name.as_deref().map(display_name).transpose()?;
    let mail = body.email.as_deref().map(email).transpose()?;
    let hash = match body.password.as_deref() {
        Some(p) => Some(crate::identity::password::hash(password(p)?).await?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    users::update(
        &mut *tx,
        id,
        &users::UserChanges {
            display_name: display.as_deref(),
            email: mail.as_deref(),
            password_hash: hash.as_deref(),
            system_role: body.system_role,
            active: body.active,
        },
    )
    .await?;
    // A deactivated user, or one whose password an admin reset, is signed out everywhere.
    if body.active == Some(false) || (hash.is_some() && !own) {
        users::end_all_sessions(&mut tx, id).await?;
    }
    // Someone who changed their own password or email keeps only the session they did it in.
    if own_credentials {
        users::end_other_sessions(&mut tx, id, auth.session_token.as_deref()).await?;
    }
    if body.active == Some(false) {
        crate::store::grants::revoke_all_of_user(
            &mut tx,
            id,
            Some(v.id),
            "the person was deactivated",
        )
        .await?;
    }
    tx.commit().await?;
    if hash.is_some() && !own {
        tracing::info!(by = %v.username, user = %id, "password reset by a super admin");
    }
    get_user(pool, v, id).await
}

/// DELETE deactivates: tickets and history keep naming the person.
pub async fn deactivate_user(
    pool: &PgPool,
    config: &crate::Config,
    v: &Viewer,
    id: Uuid,
) -> Result<UserDetail, AppError> {
    get_user(pool, v, id).await?;
    require_super(v)?;
    patch_user(
        pool,
        config,
        v,
        id,
        UserPatch {
            active: Some(false),
            ..Default::default()
        },
        &CallerAuth::default(),
    )
    .await
}

/// Creates a super admin unless a user of that name exists. Returns whether it created one.
pub async fn ensure_admin(pool: &PgPool, username: &str, password: &str) -> anyhow::Result<bool> {
    if users::by_username(pool, username)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?
        .is_some()
    {
        return Ok(false);
    }
    if password.len() < 8 {
        anyhow::bail!("the admin password must have at least 8 characters");
    }
    let hash = crate::identity::password::hash(password.to_string())
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    users::insert(
        pool,
        &users::NewUser {
            username,
            display_name: username,
            email: "",
            password_hash: Some(&hash),
            system_role: tollgate_core::SystemRole::SuperAdmin,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(true)
}
