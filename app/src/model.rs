//! Shapes shared by the browser and the server: who is signed in, and small helpers.

use serde::{Deserialize, Serialize};
use tollgate_core::{OrgRole, SystemRole};
use uuid::Uuid;

/// The signed-in person, as every page and handler sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Viewer {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub system_role: SystemRole,
    pub orgs: Vec<Membership>,
    /// How this request proved who it is (never sent).
    #[serde(skip)]
    pub presence: Presence,
}

/// How a request proved who is asking, which a decision that asks for a fresh second factor
/// looks at. The server's middleware fills it in; it is never sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Presence {
    /// The digest of the browser session's token, for a request signed in by cookie.
    pub session: Option<Vec<u8>>,
    /// The API token's id, for a request signed in by bearer token.
    pub token: Option<Uuid>,
    /// Where the request came from (guesses at a code are limited per address too).
    pub ip: Option<std::net::IpAddr>,
}

/// One org the viewer belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Membership {
    pub org_id: Uuid,
    pub org_name: String,
    pub role: OrgRole,
}

impl Viewer {
    pub fn is_super_admin(&self) -> bool {
        self.system_role == SystemRole::SuperAdmin
    }

    /// The core rulebook's view of this person.
    pub fn actor(&self) -> tollgate_core::Actor {
        tollgate_core::Actor {
            user_id: self.id,
            system_role: self.system_role,
            org_roles: self.orgs.iter().map(|m| (m.org_id, m.role)).collect(),
        }
    }
}

/// Where to go after signing in: only a path on this site, never another host.
///
/// Browsers resolve `next` against the site's origin after dropping tabs and newlines and
/// reading `\\` as `/`, so `/\t/evil.example` or `/\\evil.example` would leave the site. Only a
/// path that starts with exactly one `/` and holds no control character, no backslash and no
/// white space other than a plain space stays; anything else falls back to the home page.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2048
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || (c.is_whitespace() && c != ' '));
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next("/tickets/1?x=2"), "/tickets/1?x=2");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        // Browsers drop tabs and newlines and read a backslash as a slash.
        assert_eq!(safe_next("/\t/127.0.0.1:9050/x"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/a\\b"), "/");
        assert_eq!(safe_next("/\u{1}"), "/");
        assert_eq!(safe_next("/\u{2028}/evil.example"), "/");
        assert_eq!(safe_next("/tickets?q=a b"), "/tickets?q=a b");
    }
}
