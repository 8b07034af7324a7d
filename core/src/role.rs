//! Roles: one system role per user, one role per organization the user belongs to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role in the whole system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SystemRole {
    /// Sees and may configure everything; the default approvers.
    SuperAdmin,
    /// Everyone else.
    User,
}

/// A user's role inside one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Administers the org: sees its tickets, edits its flows, may be an approver.
    OrgAdmin,
    /// Sees the org's tickets, read only.
    OrgAuditor,
    /// A plain member.
    OrgUser,
}

/// A role name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl SystemRole {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemRole::SuperAdmin => "super_admin",
            SystemRole::User => "user",
        }
    }
}

impl OrgRole {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::OrgAdmin => "org_admin",
            OrgRole::OrgAuditor => "org_auditor",
            OrgRole::OrgUser => "org_user",
        }
    }
}

impl FromStr for SystemRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "super_admin" => Ok(SystemRole::SuperAdmin),
            "user" => Ok(SystemRole::User),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

impl FromStr for OrgRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "org_admin" => Ok(OrgRole::OrgAdmin),
            "org_auditor" => Ok(OrgRole::OrgAuditor),
            "org_user" => Ok(OrgRole::OrgUser),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

impl fmt::Display for SystemRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in [SystemRole::SuperAdmin, SystemRole::User] {
            assert_eq!(r.as_str().parse::<SystemRole>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for r in [OrgRole::OrgAdmin, OrgRole::OrgAuditor, OrgRole::OrgUser] {
            assert_eq!(r.as_str().parse::<OrgRole>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("admin".parse::<OrgRole>().is_err());
    }
}
