//! Request templates: an org's named starting points for a new access request (what to reach,
//! as which accounts, with which actions, for how long, and a hint of the reason approvers want).
//! A template holds what a request holds, checked by the same rules.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, FieldErrors};
use crate::flow::MAX_PERIOD_DAYS;
use crate::ids::{AssetId, NodeId};
use crate::request::ApplyAssetForm;

/// Longest template name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest reason hint, in characters.
pub const MAX_HINT_CHARS: usize = 500;

/// A template as written (and, once checked, as kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateForm {
    /// Its name in the list (1 to 100 characters, unique in its org).
    pub name: String,
    /// Nodes it asks for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub nodes: Vec<NodeId>,
    /// Assets it asks for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>))]
    pub assets: Vec<AssetId>,
    /// Account names (`@ALL` for every account).
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Action names, or `["all"]`.
    #[serde(default)]
    pub actions: Vec<String>,
    /// How long the access lasts from when it is asked for, in days (1 to 3650).
    pub period_days: u16,
    /// What approvers want to read in the reason (at most 500 characters; may be empty).
    #[serde(default)]
    pub reason_hint: String,
}

impl TemplateForm {
    /// Checks every field (one error per bad field; the lists by the rules of a request) and
    /// gives the template to keep: trimmed, lists without duplicates.
    pub fn check(self, now: DateTime<Utc>) -> Result<TemplateForm, FieldErrors> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new(
                "name",
                format!("1 to {MAX_NAME_CHARS} characters"),
            ));
        }
        if self.period_days == 0 || self.period_days > MAX_PERIOD_DAYS {
            errors.push(FieldError::new(
                "period_days",
                format!("1 to {MAX_PERIOD_DAYS} days"),
            ));
        }
        let reason_hint = self.reason_hint.trim().to_string();
        if reason_hint.chars().count() > MAX_HINT_CHARS {
            errors.push(FieldError::new(
                "reason_hint",
                format!("at most {MAX_HINT_CHARS} characters"),
            ));
        }
        let form = ApplyAssetForm {
            permission_name: if name.is_empty() {
                "t".into()
            } else {
                name.clone()
            },
            nodes: self.nodes,
            assets: self.assets,
            accounts: self.accounts,
            actions: self.actions,
            start: now,
            expiry: now + Duration::days(i64::from(self.period_days.max(1))),
        };
        let parsed = form.parse().map_err(|e| {
            errors.extend(e.0.into_iter().filter(|f| {
                matches!(
                    f.field.as_str(),
                    "nodes" | "assets" | "accounts" | "actions"
                ) || f.field.starts_with("accounts[")
                    || f.field.starts_with("actions[")
            }))
        });
        match parsed {
            Ok(r) if errors.is_empty() => Ok(TemplateForm {
                name,
                nodes: r.nodes,
                assets: r.assets,
                accounts: r.accounts.iter().map(|a| a.as_str().to_string()).collect(),
                actions: r.actions.names(),
                period_days: self.period_days,
                reason_hint,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn form() -> TemplateForm {
        TemplateForm {
            name: "  Prod database, read only ".into(),
            nodes: vec![],
            assets: vec![Uuid::from_u128(5), Uuid::from_u128(5)],
            accounts: vec!["readonly".into()],
            actions: vec!["connect".into(), "connect".into()],
            period_days: 3,
            reason_hint: " Which incident? ".into(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_template_is_kept_trimmed_and_without_duplicates() {
        let t = form().check(now()).unwrap();
        assert_eq!(t.name, "Prod database, read only");
        assert_eq!(t.assets, vec![Uuid::from_u128(5)]);
        assert_eq!(t.actions, vec!["connect".to_string()]);
        assert_eq!(t.reason_hint, "Which incident?");
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = TemplateForm {
            name: " ".into(),
            period_days: 0,
            reason_hint: "x".repeat(501),
            accounts: vec!["   ".into()],
            actions: vec!["fly".into()],
            ..form()
        };
        let e = bad.check(now()).unwrap_err();
        for f in ["name", "period_days", "reason_hint", "actions"] {
            assert!(e.has(f), "{f}: {e:?}");
        }
        assert!(e.0.iter().any(|f| f.field.starts_with("accounts")), "{e:?}");
        let long = TemplateForm {
            period_days: MAX_PERIOD_DAYS + 1,
            ..form()
        };
        assert!(long.check(now()).unwrap_err().has("period_days"));
    }
}
