//! Single sign-on: the settings of the providers (super admins; the environment seeds them at
//! first start), the group mappings, and what a sign-in through a provider does to the person
//! in Tollgate: found by their identity at the provider (never by email), created when that is
//! allowed, their name and email refreshed, their mapped memberships made exactly what their
//! groups give now.

use sqlx::PgPool;
use tollgate_app::admin_dto::{
    GroupMappingDto, LdapSettings, NewGroupMapping, OidcSettings, PasswordSignIn, SignInOptions,
    SignInSettings,
};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::sso::{group_name_problem, map_groups};
use tollgate_core::SystemRole;
use uuid::Uuid;

use super::admin::require_super;
use crate::store;

/// The settings with their secrets (for the server's own use; never answered as they are).
pub async fn settings(pool: &PgPool) -> Result<SignInSettings, AppError> {
    let oidc = store::sso::provider(pool, "oidc")
        .await?
        .and_then(|v| serde_json::from_value::<OidcSettings>(v).ok())
        .unwrap_or_default();
    let ldap = store::sso::provider(pool, "ldap")
        .await?
        .and_then(|v| serde_json::from_value::<LdapSettings>(v).ok())
        .unwrap_or_default();
    let password_sign_in = store::settings::get(pool, "password_sign_in")
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let second_factor = store::settings::get(pool, "second_factor_policy")
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let step_up_minutes = crate::identity::step_up::minutes(pool).await?;
    Ok(SignInSettings {
        password_sign_in,
        second_factor,
        step_up_minutes,
        oidc: OidcSettings {
            client_secret_set: oidc.client_secret.is_some(),
            ..oidc
        },
        ldap: LdapSettings {
            bind_password_set: ldap.bind_password.is_some(),
            ..ldap
        },
    })
}

/// The settings as a super admin sees them: secrets only as "set".
fn without_secrets(mut s: SignInSettings) -> SignInSettings {
    s.oidc.client_secret = None;
    s.ldap.bind_password = None;
    s
}

pub async fn get(pool: &PgPool, v: &Viewer) -> Result<SignInSettings, AppError> {
    require_super(v)?;
    Ok(without_secrets(settings(pool).await?))
}

fn check_oidc(o: &OidcSettings) -> Result<(), AppError> {
    let field = |f: &str, m: &str| Err(AppError::invalid(&format!("oidc.{f}"), m));
    if !o.enabled && o.issuer.trim().is_empty() {
        return Ok(());
    }
    if let Some(p) = crate::identity::oidc::issuer_problem(o.issuer.trim()) {
        return field("issuer", p);
    }
    if o.client_id.trim().is_empty() || o.client_id.len() > 256 {
        return field(
            "client_id",
            "give the client ID the provider made for Tollgate",
        );
    }
    if o.button_label.trim().is_empty() || o.button_label.chars().count() > 64 {
        return field("button_label", "1 to 64 characters");
    }
    if o.groups_claim.trim().is_empty() || o.groups_claim.len() > 64 {
        return field("groups_claim", "1 to 64 characters");
    }
    if o.scopes.len() > 20
        || o.scopes
            .iter()
            .any(|s| s.is_empty() || s.len() > 64 || s.contains(char::is_whitespace))
    {
        return field("scopes", "at most 20 scopes, each one word");
    }
    Ok(())
}

fn check_ldap(l: &LdapSettings) -> Result<(), AppError> {
    let field = |f: &str, m: &str| Err(AppError::invalid(&format!("ldap.{f}"), m));
    if l.sync_minutes > 7 * 24 * 60 {
        return field("sync_minutes", "at most a week (10080)");
    }
    if !l.enabled && l.url.trim().is_empty() {
        return Ok(());
    }
    match url::Url::parse(l.url.trim()) {
        Ok(u) if u.scheme() == "ldaps" && !l.starttls => {}
        Ok(u) if u.scheme() == "ldap" && l.starttls => {}
        Ok(u) if u.scheme() == "ldap" => {
            return field(
                "url",
                "ldap:// sends passwords in the clear: use ldaps://, or turn on StartTLS",
            )
        }
        Ok(u) if u.scheme() == "ldaps" => {
            return field("starttls", "ldaps:// is TLS already: turn StartTLS off")
        }
        _ => return field("url", "an ldaps:// or ldap:// URL"),
    }
    if l.user_base.trim().is_empty() {
        return field("user_base", "give the DN under which people are searched");
    }
    if !l.user_filter.contains("{username}") {
        return field("user_filter", "must contain {username}");
    }
    if !l.group_base.trim().is_empty() && !l.group_filter.contains("{dn}") {
        return field("group_filter", "must contain {dn}");
    }
    for (name, v) in [
        ("username_attribute", &l.username_attribute),
        ("name_attribute", &l.name_attribute),
        ("email_attribute", &l.email_attribute),
        ("group_name_attribute", &l.group_name_attribute),
    ] {
        if v.trim().is_empty() || v.len() > 64 {
            return field(name, "1 to 64 characters");
        }
    }
    Ok(())
}

/// Writes the settings; a secret left out keeps the one kept. Refuses turning the password
/// form off for everyone but super admins while no provider is on.
pub async fn put(
    pool: &PgPool,
    v: &Viewer,
    mut body: SignInSettings,
) -> Result<SignInSettings, AppError> {
    require_super(v)?;
    let kept = settings(pool).await?;
    body.oidc.issuer = body.oidc.issuer.trim().trim_end_matches('/').to_string();
    body.oidc.client_id = body.oidc.client_id.trim().to_string();
    body.ldap.url = body.ldap.url.trim().to_string();
    if body.oidc.client_secret.as_deref().is_none_or(str::is_empty) {
        body.oidc.client_secret = kept.oidc.client_secret;
    }
    if body.ldap.bind_password.as_deref().is_none_or(str::is_empty) {
        body.ldap.bind_password = kept.ldap.bind_password;
    }
    check_oidc(&body.oidc)?;
    check_ldap(&body.ldap)?;
    let most = crate::identity::step_up::MAX_MINUTES;
    if body.step_up_minutes > most {
        return Err(AppError::invalid(
            "step_up_minutes",
            format!("at most {most} minutes"),
        ));
    }
    if body.password_sign_in == PasswordSignIn::SuperAdminsOnly
        && !body.oidc.enabled
        && !body.ldap.enabled
    {
        return Err(AppError::invalid(
            "password_sign_in",
            "turn on single sign-on or LDAP first: nobody but super admins could sign in",
        ));
    }
    let mut tx = pool.begin().await?;
    let oidc = serde_json::to_value(&body.oidc).map_err(|_| AppError::internal())?;
    let ldap = serde_json::to_value(&body.ldap).map_err(|_| AppError::internal())?;
    store::sso::put_provider(&mut *tx, "oidc", &oidc, Some(v.id)).await?;
    store::sso::put_provider(&mut *tx, "ldap", &ldap, Some(v.id)).await?;
    store::settings::put(
        &mut *tx,
        "password_sign_in",
        serde_json::to_value(body.password_sign_in).unwrap_or_default(),
        v.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "second_factor_policy",
        serde_json::to_value(body.second_factor).unwrap_or_default(),
        v.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "step_up_minutes",
        serde_json::json!(body.step_up_minutes),
        v.id,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(by = %v.username, oidc = body.oidc.enabled, ldap = body.ldap.enabled, "sign-in settings changed");
    get(pool, v).await
}

/// What the sign-in page offers.
pub async fn options(pool: &PgPool) -> Result<SignInOptions, AppError> {
    let s = settings(pool).await?;
    Ok(SignInOptions {
        oidc_button: s.oidc_on().then(|| s.oidc.button_label.clone()),
        ldap: s.ldap.enabled,
        password_super_admins_only: s.passwords_for_super_admins_only(),
    })
}

/// Seeds the settings of a provider from the environment at first start (nothing stored yet).
pub async fn seed(
    pool: &PgPool,
    oidc: Option<OidcSettings>,
    ldap: Option<LdapSettings>,
) -> anyhow::Result<()> {
    if let Some(o) = oidc {
        check_oidc(&o).map_err(|e| {
            anyhow::anyhow!(
                "TOLLGATE_OIDC_*: {}: {}",
                e.field.unwrap_or_default(),
                e.message
            )
        })?;
        if store::sso::seed_provider(pool, "oidc", &serde_json::to_value(&o)?)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
        {
            tracing::info!(issuer = %o.issuer, "OpenID Connect sign-in set from the environment");
        }
    }
    if let Some(l) = ldap {
        check_ldap(&l).map_err(|e| {
            anyhow::anyhow!(
                "TOLLGATE_LDAP_*: {}: {}",
                e.field.unwrap_or_default(),
                e.message
            )
        })?;
        if store::sso::seed_provider(pool, "ldap", &serde_json::to_value(&l)?)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?
        {
            tracing::info!(url = %l.url, "LDAP sign-in set from the environment");
        }
    }
    Ok(())
}

fn mapping_dto(r: store::sso::MappingRow) -> GroupMappingDto {
    GroupMappingDto {
        id: r.id,
        provider: r.provider,
        group: r.group_name,
        org_id: r.org_id,
        org_name: r.org_name,
        role: r.org_role.as_deref().map(store::users::parse_org_role),
        super_admin: r.super_admin,
    }
}

pub async fn mappings(pool: &PgPool, v: &Viewer) -> Result<Vec<GroupMappingDto>, AppError> {
    require_super(v)?;
    Ok(store::sso::mappings(pool, None)
        .await?
        .into_iter()
        .map(mapping_dto)
        .collect())
}

pub async fn add_mapping(
    pool: &PgPool,
    v: &Viewer,
    body: NewGroupMapping,
) -> Result<GroupMappingDto, AppError> {
    require_super(v)?;
    if body.provider != "oidc" && body.provider != "ldap" {
        return Err(AppError::invalid("provider", "oidc or ldap"));
    }
    if let Some(p) = group_name_problem(&body.group) {
        return Err(AppError::invalid("group", p));
    }
    let org = match (body.org_id, body.role) {
        (Some(o), Some(r)) => Some((o, r)),
        (None, None) => None,
        (Some(_), None) => return Err(AppError::invalid("role", "give the role in the org")),
        (None, Some(_)) => return Err(AppError::invalid("org_id", "give the org of the role")),
    };
    if org.is_none() && !body.super_admin {
        return Err(AppError::invalid(
            "org_id",
            "map the group to an org, to super admin, or both",
        ));
    }
    let id = store::sso::add_mapping(
        pool,
        &body.provider,
        body.group.trim(),
        org,
        body.super_admin,
    )
    .await?;
    tracing::info!(by = %v.username, group = %body.group.trim(), provider = %body.provider, "group mapping added");
    store::sso::mappings(pool, None)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .map(mapping_dto)
        .ok_or_else(AppError::internal)
}

pub async fn delete_mapping(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    require_super(v)?;
    if store::sso::delete_mapping(pool, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Mapping"))
    }
}

/// Who a provider says signed in.
pub struct Identity<'a> {
    /// `oidc` or `ldap`.
    pub provider: &'static str,
    pub issuer: &'a str,
    pub subject: &'a str,
    /// OpenID Connect's preferred username, or the directory's username attribute.
    pub username: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub groups: &'a [String],
    /// The LDAP entry's DN, kept for the sync.
    pub login: &'a str,
    pub create_users: bool,
}

/// A username Tollgate accepts, made from what the provider calls the person.
fn username_from(raw: &str) -> String {
    let u: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    if u.trim_matches('-').is_empty() {
        "user".into()
    } else {
        u
    }
}

/// The person in Tollgate who signed in through a provider: (id, username). Creates them when
/// allowed; refuses a deactivated person. Their mapped memberships and super admin become
/// exactly what their groups give now.
pub async fn person(pool: &PgPool, who: &Identity<'_>) -> Result<(Uuid, String), AppError> {
    let mut tx = pool.begin().await?;
    let display = who
        .name
        .and_then(|n| tollgate_core::parse_display_name(n).ok());
    let email = who.email.filter(|e| e.len() <= 254 && e.contains('@'));
    let id = match store::sso::linked_user(&mut *tx, who.issuer, who.subject).await? {
        Some((_, false)) => {
            return Err(AppError::new(
                403,
                "account_deactivated",
                "Your Tollgate account is deactivated. Ask an administrator.",
            ))
        }
        Some((id, true)) => {
            store::users::update(
                &mut *tx,
                id,
                &store::users::UserChanges {
                    display_name: display.as_deref(),
                    email,
                    ..Default::default()
                },
            )
            .await?;
            id
        }
        None if !who.create_users => {
            return Err(AppError::new(
                403,
                "sso_no_account",
                "You signed in at the identity provider, but there is no Tollgate account for \
                 you yet. Ask an administrator to create one.",
            ))
        }
        None => {
            let base = username_from(who.username.or(email).unwrap_or(who.subject));
            let id = Uuid::new_v4();
            let mut created = false;
            for n in 1..=20 {
                let name = if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                let new = store::users::NewUser {
                    username: &name,
                    display_name: display.as_deref().unwrap_or(&name),
                    email: email.unwrap_or(""),
                    password_hash: None,
                    system_role: SystemRole::User,
                };
                // A username in use belongs to someone else: never link by name.
                let mut sp = sqlx::Acquire::begin(&mut *tx).await?;
                match store::users::create(&mut *sp, id, &new).await {
                    Ok(()) => {
                        sp.commit().await?;
                        created = true;
                        break;
                    }
                    Err(e) if e.code == "already_exists" => sp.rollback().await?,
                    Err(e) => return Err(e),
                }
            }
            if !created {
                return Err(AppError::conflict(
                    "already_exists",
                    "No free username could be made for you. Ask an administrator.",
                ));
            }
            tracing::info!(provider = who.provider, user = %id, "created a person at their first sign-in");
            id
        }
    };
    store::sso::link(
        &mut *tx,
        who.issuer,
        who.subject,
        id,
        who.provider,
        who.login,
    )
    .await?;
    let rules: Vec<_> = store::sso::mappings(&mut *tx, Some(who.provider))
        .await?
        .iter()
        .map(|m| m.rule())
        .collect();
    let mapped = map_groups(who.groups, &rules);
    let memberships: Vec<_> = mapped.memberships.into_iter().collect();
    let removed = store::sso::apply_mapping(&mut tx, id, &memberships, mapped.super_admin).await?;
    // Leaving an org this way revokes the grants in it, as an administrator's removal does.
    for org in &removed {
        let why = "the person's groups no longer give the org";
        store::grants::revoke_in_org(&mut tx, id, *org, None, why).await?;
    }
    let username = store::users::username_of(&mut *tx, id).await?;
    tx.commit().await?;
    if !removed.is_empty() {
        tracing::info!(user = %username, removed = removed.len(), "memberships no longer given by the person's groups were ended");
    }
    Ok((id, username))
}

/// Whether the last directory sync is `minutes` old or more (or there was none).
pub async fn sync_due(conn: &mut sqlx::PgConnection, minutes: u32) -> Result<bool, AppError> {
    let last = store::settings::get(&mut *conn, "ldap_last_sync")
        .await?
        .and_then(|v| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v).ok());
    Ok(last.is_none_or(|t| chrono::Utc::now() - t >= chrono::Duration::minutes(minutes.into())))
}

/// Notes that a directory sync ran now.
pub async fn synced(conn: &mut sqlx::PgConnection) -> Result<(), AppError> {
    store::settings::put_by_system(
        &mut *conn,
        "ldap_last_sync",
        serde_json::to_value(chrono::Utc::now()).unwrap_or_default(),
    )
    .await
}

/// Deactivates the people linked to the directory who are no longer in it (or its filter):
/// their sessions and tokens end and their grants are revoked. Returns how many.
pub async fn deactivate_gone(
    pool: &PgPool,
    roots: &crate::tls::Roots,
    ldap: &LdapSettings,
) -> Result<usize, AppError> {
    let people = store::sso::ldap_people(pool, &crate::identity::ldap::issuer(ldap)).await?;
    let dns: Vec<String> = people.iter().map(|p| p.2.clone()).collect();
    let gone = crate::identity::ldap::gone(roots, ldap, &dns).await?;
    let mut n = 0;
    for (user, _, dn) in people.iter().filter(|p| gone.contains(&p.2)) {
        let mut tx = pool.begin().await?;
        store::users::update(
            &mut *tx,
            *user,
            &store::users::UserChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .await?;
        store::users::end_all_sessions(&mut tx, *user).await?;
        store::grants::revoke_all_of_user(&mut tx, *user, None, "the person left the directory")
            .await?;
        tx.commit().await?;
        tracing::info!(user = %user, dn = %dn, "deactivated: no longer in the directory");
        n += 1;
    }
    Ok(n)
}
