//! Single sign-on: what a person's groups at the identity provider make of them in Tollgate.
//!
//! An administrator maps group names (an OpenID Connect claim's values, or LDAP groups) to org
//! memberships with a role, and to super admin. At every sign-in the mapping is applied anew:
//! the memberships it gives are exactly those of the groups the person is in now.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;
use crate::role::OrgRole;

/// One mapping row: members of `group` get `org` in `role`, and/or super admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRule {
    pub group: String,
    /// The org and the role in it (both or neither).
    pub org: Option<(OrgId, OrgRole)>,
    pub super_admin: bool,
}

/// What the groups give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// One role per org: where several groups give the same org, the strongest role.
    pub memberships: BTreeMap<OrgId, OrgRole>,
    pub super_admin: bool,
}

/// How much a role may do: admin, then auditor, then user.
fn rank(r: OrgRole) -> u8 {
    match r {
        OrgRole::OrgAdmin => 3,
        OrgRole::OrgAuditor => 2,
        OrgRole::OrgUser => 1,
    }
}

/// Group names compare without regard to case (directories do; providers rarely keep two
/// groups that differ only in case) and without surrounding spaces.
pub fn same_group(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Applies `rules` to the person's `groups`.
pub fn map_groups(groups: &[String], rules: &[GroupRule]) -> Mapped {
    let mut out = Mapped::default();
    for rule in rules
        .iter()
        .filter(|r| groups.iter().any(|g| same_group(g, &r.group)))
    {
        out.super_admin |= rule.super_admin;
        if let Some((org, role)) = rule.org {
            out.memberships
                .entry(org)
                .and_modify(|have| {
                    if rank(role) > rank(*have) {
                        *have = role;
                    }
                })
                .or_insert(role);
        }
    }
    out
}

/// Why a group name cannot be mapped, if it cannot.
pub fn group_name_problem(name: &str) -> Option<&'static str> {
    let t = name.trim();
    if t.is_empty() {
        Some("give the group's name")
    } else if t.chars().count() > 256 {
        Some("at most 256 characters")
    } else {
        None
    }
}

/// The `amr` values (RFC 8176) that say a factor beyond the password was used: `mfa` itself, a
/// one-time code, a key, a biometric or a smart card. `pwd`, `pin`, `kba` and the like are not.
const SECOND_FACTORS: [&str; 12] = [
    "mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "sc",
];

/// Whether an identity provider's `amr` claim says the person gave a second factor there.
pub fn amr_gives_second_factor(amr: &[String]) -> bool {
    amr.iter()
        .any(|m| SECOND_FACTORS.iter().any(|f| m.eq_ignore_ascii_case(f)))
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_a_factor_beyond_the_password_counts_in_amr() {
        let amr = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(amr_gives_second_factor(&amr(&["pwd", "otp"])));
        assert!(amr_gives_second_factor(&amr(&["MFA"])));
        assert!(amr_gives_second_factor(&amr(&["hwk"])));
        assert!(!amr_gives_second_factor(&amr(&["pwd"])));
        assert!(!amr_gives_second_factor(&amr(&["pwd", "pin", "kba"])));
        assert!(!amr_gives_second_factor(&[]));
    }

    use super::*;
    use uuid::Uuid;

    fn rule(group: &str, org: Option<(Uuid, OrgRole)>, super_admin: bool) -> GroupRule {
        GroupRule {
            group: group.into(),
            org,
            super_admin,
        }
    }

    #[test]
    fn only_the_groups_held_count_and_the_strongest_role_wins() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let rules = [
            rule("ops", Some((a, OrgRole::OrgUser)), false),
            rule("Admins", Some((a, OrgRole::OrgAdmin)), false),
            rule("audit", Some((b, OrgRole::OrgAuditor)), false),
            rule("root", None, true),
        ];
        let m = map_groups(&["ops".into(), "admins ".into()], &rules);
        assert_eq!(m.memberships.get(&a), Some(&OrgRole::OrgAdmin));
        assert_eq!(m.memberships.get(&b), None);
        assert!(!m.super_admin);
        let m = map_groups(&["root".into()], &rules);
        assert!(m.memberships.is_empty());
        assert!(m.super_admin);
        assert_eq!(map_groups(&[], &rules), Mapped::default());
    }

    #[test]
    fn the_order_of_rules_does_not_matter() {
        let a = Uuid::from_u128(1);
        let mut rules = vec![
            rule("x", Some((a, OrgRole::OrgAdmin)), false),
            rule("y", Some((a, OrgRole::OrgAuditor)), false),
        ];
        let groups = ["x".to_string(), "y".to_string()];
        let first = map_groups(&groups, &rules);
        rules.reverse();
        assert_eq!(map_groups(&groups, &rules), first);
        assert_eq!(first.memberships.get(&a), Some(&OrgRole::OrgAdmin));
    }

    #[test]
    fn names_are_checked() {
        assert!(group_name_problem("  ").is_some());
        assert!(group_name_problem(&"g".repeat(257)).is_some());
        assert!(group_name_problem("cn=ops,ou=groups,dc=example,dc=test").is_none());
    }
}
