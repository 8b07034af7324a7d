//! Administration use-cases (issue 8): orgs, people and memberships, the node tree, assets
//! and accounts, bulk import, settings and the audit export. Who may do what:
//! super admins everything; org admins their org's estate and members; org auditors read
//! their org; everyone reads what they need to apply and changes only themselves.

pub mod audit;
pub mod estate;
pub mod import;
pub mod people;
pub mod settings;

use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{OrgRole, Platform};
use uuid::Uuid;

/// The viewer's role in `org`, if a member.
pub fn role_in(viewer: &Viewer, org: Uuid) -> Option<OrgRole> {
    viewer.orgs.iter().find(|m| m.org_id == org).map(|m| m.role)
}

/// Super admins and the org's admins change the org's estate and members.
pub fn may_admin(viewer: &Viewer, org: Uuid) -> bool {
    viewer.is_super_admin() || role_in(viewer, org) == Some(OrgRole::OrgAdmin)
}

/// Super admins and the org's admins and auditors oversee it (see its people and audit).
pub fn may_oversee(viewer: &Viewer, org: Uuid) -> bool {
    viewer.is_super_admin()
        || matches!(
            role_in(viewer, org),
            Some(OrgRole::OrgAdmin | OrgRole::OrgAuditor)
        )
}

/// 404 for an org the viewer may not see at all, 403 for one they see but may not change.
pub fn require_admin(viewer: &Viewer, org: Uuid) -> Result<(), AppError> {
    if may_admin(viewer, org) {
        Ok(())
    } else if role_in(viewer, org).is_some() {
        Err(AppError::forbidden(
            "Only super admins and the org's admins change this.",
        ))
    } else {
        Err(AppError::not_found("Org"))
    }
}

pub fn require_super(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.is_super_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only super admins may do this."))
    }
}

/// A trimmed name of 1 to `max` characters without control characters.
pub fn name(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::invalid(
            field,
            format!("The {field} is required."),
        ));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("The {field} is longer than {max} characters."),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            format!("The {field} contains control characters."),
        ));
    }
    Ok(s.to_string())
}

/// Node names become path segments: no `/`.
pub fn node_name(raw: &str) -> Result<String, AppError> {
    let s = name("name", raw, 128)?;
    if s.contains('/') {
        return Err(AppError::invalid(
            "name",
            "A node name cannot contain \"/\".",
        ));
    }
    Ok(s)
}

/// A platform an asset may have (core's [`Platform`] names), trimmed and lowercased.
pub fn platform(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim().to_lowercase();
    if Platform::parse(&s).is_some() {
        Ok(s)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "Unknown platform {:?}; use one of {}.",
                raw.trim(),
                Platform::ALL.map(Platform::as_str).join(", ")
            ),
        ))
    }
}

/// An address: a host name or IP, optionally with a port; 1 to 255 characters, no spaces.
pub fn address(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 255 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            field,
            "The address must be a host name or IP (1 to 255 characters, no spaces).",
        ));
    }
    Ok(s.to_string())
}

/// An account login name: 1 to 128 characters, no spaces.
pub fn login(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 128 || s.chars().any(|c| c.is_whitespace()) {
        return Err(AppError::invalid(
            field,
            "The username must be 1 to 128 characters without spaces.",
        ));
    }
    Ok(s.to_string())
}

/// An account name: like a name, and not the reserved `@ALL`.
pub fn account_name(field: &str, raw: &str) -> Result<String, AppError> {
    let s = name(field, raw, 128)?;
    if s.eq_ignore_ascii_case("@ALL") {
        return Err(AppError::invalid(
            field,
            "@ALL is reserved: it means every account of an asset.",
        ));
    }
    Ok(s)
}
