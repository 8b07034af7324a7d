//! LDAP and Active Directory (the `ldap3` crate, on our rustls): search-and-bind sign-in over
//! `ldaps://` or StartTLS, the person's groups (a group search, or their `memberOf`), and the
//! check the sync makes that a person is still in the directory and its filter.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use tollgate_app::admin_dto::LdapSettings;
use tollgate_app::AppError;

const TIMEOUT: Duration = Duration::from_secs(10);
/// LDAP's "invalid credentials" and "no such object".
const INVALID_CREDENTIALS: u32 = 49;
const NO_SUCH_OBJECT: u32 = 32;

/// A person the directory knows, with their groups.
#[derive(Debug, Clone)]
pub struct Person {
    pub dn: String,
    /// `entryUUID` where the directory has it, else the DN (lower case).
    pub subject: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// The issuer of LDAP identities: the directory's tree, not the server's address (a new
/// server for the same tree keeps everyone's link).
pub fn issuer(s: &LdapSettings) -> String {
    format!("ldap:{}", s.user_base.trim().to_lowercase())
}

fn unreachable_directory(e: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "the LDAP directory cannot be reached");
    AppError::new(
        503,
        "directory_unavailable",
        format!(
            "The directory cannot be reached: {}",
            crate::tls::with_explanation(e.to_string())
        ),
    )
}

/// A connection, bound as the service account (when one is set).
async fn connect(roots: &crate::tls::Roots, s: &LdapSettings) -> Result<Ldap, AppError> {
    let settings = LdapConnSettings::new()
        .set_config(Arc::new(roots.client_config()))
        .set_starttls(s.starttls)
        .set_conn_timeout(TIMEOUT);
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &s.url)
        .await
        .map_err(unreachable_directory)?;
    ldap3::drive!(conn);
    ldap.with_timeout(TIMEOUT);
    if !s.bind_dn.is_empty() {
        ldap.simple_bind(&s.bind_dn, s.bind_password.as_deref().unwrap_or(""))
            .await
            .and_then(|r| r.success())
            .map_err(|e| {
                tracing::warn!(error = %e, "the LDAP service account cannot bind");
                AppError::new(
                    503,
                    "directory_unavailable",
                    "The directory refused Tollgate's service account: check its DN and password.",
                )
            })?;
    }
    Ok(ldap)
}

fn first(e: &SearchEntry, attr: &str) -> Option<String> {
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .and_then(|(_, v)| v.first().cloned())
        .filter(|v| !v.trim().is_empty())
}

fn all(e: &SearchEntry, attr: &str) -> Vec<String> {
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The value of a DN's first part: `ops` of `cn=ops,ou=groups,dc=example,dc=test`.
fn first_rdn_value(dn: &str) -> Option<String> {
    let rdn = dn.split(',').next()?;
    let (_, v) = rdn.split_once('=')?;
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The user filter for `username` (escaped), or for anyone (`*`, the sync's presence test).
fn user_filter(s: &LdapSettings, username: Option<&str>) -> String {
    match username {
        Some(u) => s.user_filter.replace("{username}", &ldap_escape(u)),
        None => s.user_filter.replace("{username}", "*"),
    }
}

async fn find(
    ldap: &mut Ldap,
    s: &LdapSettings,
    username: &str,
) -> Result<Vec<SearchEntry>, AppError> {
    let attrs = vec![
        s.username_attribute.as_str(),
        s.name_attribute.as_str(),
        s.email_attribute.as_str(),
        "entryUUID",
        "memberOf",
    ];
    let (entries, _) = ldap
        .search(
            &s.user_base,
            Scope::Subtree,
            &user_filter(s, Some(username)),
            attrs,
        )
        .await
        .and_then(|r| r.success())
        .map_err(unreachable_directory)?;
    Ok(entries.into_iter().map(SearchEntry::construct).collect())
}

/// Checks `username` and `password` against the directory: the person when both are right,
/// None when the person is unknown, ambiguous, or the password wrong.
pub async fn authenticate(
    roots: &crate::tls::Roots,
    s: &LdapSettings,
    username: &str,
    password: &str,
) -> Result<Option<Person>, AppError> {
    // An empty password is an anonymous bind, which many directories accept: never a sign-in.
    if password.is_empty() || username.trim().is_empty() {
        return Ok(None);
    }
    let mut ldap = connect(roots, s).await?;
    let mut found = find(&mut ldap, s, username).await?;
    if found.len() != 1 {
        let _ = ldap.unbind().await;
        return Ok(None);
    }
    let entry = found.remove(0);
    match ldap.simple_bind(&entry.dn, password).await {
        Ok(r) if r.rc == 0 => {}
        Ok(r) if r.rc == INVALID_CREDENTIALS => {
            let _ = ldap.unbind().await;
            return Ok(None);
        }
        Ok(r) => {
            let _ = ldap.unbind().await;
            tracing::warn!(rc = r.rc, text = %r.text, "the directory refused a bind");
            return Ok(None);
        }
        Err(e) => return Err(unreachable_directory(e)),
    }
    // Groups are read as the service account (the person may not read them).
    let mut ldap = if s.bind_dn.is_empty() {
        ldap
    } else {
        let _ = ldap.unbind().await;
        connect(roots, s).await?
    };
    let mut groups = Vec::new();
    if s.group_base.trim().is_empty() {
        for dn in all(&entry, "memberOf") {
            if let Some(v) = first_rdn_value(&dn) {
                groups.push(v);
            }
            groups.push(dn);
        }
    } else {
        let filter = s.group_filter.replace("{dn}", &ldap_escape(&entry.dn));
        let (entries, _) = ldap
            .search(
                &s.group_base,
                Scope::Subtree,
                &filter,
                vec![s.group_name_attribute.as_str()],
            )
            .await
            .and_then(|r| r.success())
            .map_err(unreachable_directory)?;
        for g in entries.into_iter().map(SearchEntry::construct) {
            if let Some(name) = first(&g, &s.group_name_attribute) {
                groups.push(name);
            }
            groups.push(g.dn);
        }
    }
    let _ = ldap.unbind().await;
    Ok(Some(Person {
        subject: first(&entry, "entryUUID").unwrap_or_else(|| entry.dn.to_lowercase()),
        username: first(&entry, &s.username_attribute),
        name: first(&entry, &s.name_attribute),
        email: first(&entry, &s.email_attribute),
        groups,
        dn: entry.dn,
    }))
}

/// Which of `dns` are no longer in the directory or no longer match its user filter.
pub async fn gone(
    roots: &crate::tls::Roots,
    s: &LdapSettings,
    dns: &[String],
) -> Result<Vec<String>, AppError> {
    let mut ldap = connect(roots, s).await?;
    let filter = user_filter(s, None);
    let mut out = Vec::new();
    for dn in dns {
        match ldap.search(dn, Scope::Base, &filter, vec!["1.1"]).await {
            Ok(r) if r.1.rc == NO_SUCH_OBJECT => out.push(dn.clone()),
            Ok(r) if r.1.rc == 0 => {
                if r.0.is_empty() {
                    out.push(dn.clone());
                }
            }
            Ok(r) => {
                // Anything else (busy, a referral…) is not proof the person left.
                tracing::warn!(rc = r.1.rc, dn = %dn, "the directory sync could not check a person");
            }
            Err(e) => return Err(unreachable_directory(e)),
        }
    }
    let _ = ldap.unbind().await;
    Ok(out)
}
