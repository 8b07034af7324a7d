//! Who exists: a snapshot of users and their roles, used to resolve approvers, and the
//! [`Actor`] that performs an action.

use crate::ids::{OrgId, UserId};
use crate::role::{OrgRole, SystemRole};
use serde::{Deserialize, Serialize};

/// A user as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirUser {
    /// Their id.
    pub id: UserId,
    /// Their username.
    pub username: String,
    /// Inactive users are never asked to approve and cannot be named in a flow.
    pub active: bool,
    /// Their system role.
    pub system_role: SystemRole,
    /// Their role in each org they belong to.
    pub org_roles: Vec<(OrgId, OrgRole)>,
}

impl DirUser {
    /// Their role in `org`, if they are a member.
    pub fn org_role(&self, org: OrgId) -> Option<OrgRole> {
        self.org_roles
            .iter()
            .find(|(o, _)| *o == org)
            .map(|(_, r)| *r)
    }

    /// True for an active super admin.
    pub fn is_active_super_admin(&self) -> bool {
        self.active && self.system_role == SystemRole::SuperAdmin
    }
}

/// The users the server loaded for one decision (all of them, or at least every one a flow
/// may name). Order is kept: resolution lists assignees in directory order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// The users.
    pub users: Vec<DirUser>,
}

impl Directory {
    /// A directory of these users.
    pub fn new(users: Vec<DirUser>) -> Self {
        Self { users }
    }

    /// The user with this id.
    pub fn get(&self, id: UserId) -> Option<&DirUser> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user with this id, if active.
    pub fn active(&self, id: UserId) -> Option<&DirUser> {
        self.get(id).filter(|u| u.active)
    }

    /// The active super admins.
    pub fn active_super_admins(&self) -> impl Iterator<Item = &DirUser> {
        self.users.iter().filter(|u| u.is_active_super_admin())
    }

    /// The active org admins of `org`.
    pub fn active_org_admins(&self, org: OrgId) -> impl Iterator<Item = &DirUser> {
        self.users
            .iter()
            .filter(move |u| u.active && u.org_role(org) == Some(OrgRole::OrgAdmin))
    }
}

/// Whoever performs an action: a signed-in user with their roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Their id.
    pub user_id: UserId,
    /// Their system role.
    pub system_role: SystemRole,
    /// Their role in each org they belong to.
    pub org_roles: Vec<(OrgId, OrgRole)>,
}

impl Actor {
    /// An actor from its parts.
    pub fn new(user_id: UserId, system_role: SystemRole, org_roles: Vec<(OrgId, OrgRole)>) -> Self {
        Self {
            user_id,
            system_role,
            org_roles,
        }
    }

    /// The actor a directory user acts as.
    pub fn from_user(u: &DirUser) -> Self {
        Self::new(u.id, u.system_role, u.org_roles.clone())
    }

    /// True for a super admin.
    pub fn is_super_admin(&self) -> bool {
        self.system_role == SystemRole::SuperAdmin
    }

    /// Their role in `org`, if they are a member.
    pub fn org_role(&self, org: OrgId) -> Option<OrgRole> {
        self.org_roles
            .iter()
            .find(|(o, _)| *o == org)
            .map(|(_, r)| *r)
    }
}
