//! The change an approver made to an `apply_asset` request, field by field (before → after),
//! kept in the ticket's history and shown to everyone who can see it.

use crate::error::{FieldError, FieldErrors};
use crate::request::{ApplyAssetForm, ApplyAssetRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields of an `apply_asset` request, in the order diffs list them.
pub const APPLY_ASSET_FIELDS: [&str; 7] = [
    "permission_name",
    "nodes",
    "assets",
    "accounts",
    "actions",
    "start",
    "expiry",
];

/// One changed field, with its JSON values before and after (as in [`ApplyAssetForm`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// The JSON name of the field, e.g. `"accounts"`.
    pub field: String,
    /// Its value before.
    pub before: Value,
    /// Its value after.
    pub after: Value,
}

/// The changed fields of a request; empty when nothing changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDiff {
    /// One entry per changed field, in [`APPLY_ASSET_FIELDS`] order.
    pub changes: Vec<FieldChange>,
}

fn form_object(r: &ApplyAssetRequest) -> serde_json::Map<String, Value> {
    match serde_json::to_value(r.to_form()) {
        Ok(Value::Object(m)) => m,
        // A struct of strings, uuids, lists and timestamps always serializes to an object.
        _ => serde_json::Map::new(),
    }
}

impl RequestDiff {
    /// The fields that differ between two requests.
    pub fn between(before: &ApplyAssetRequest, after: &ApplyAssetRequest) -> Self {
        let (b, a) = (form_object(before), form_object(after));
        let changes = APPLY_ASSET_FIELDS
            .iter()
            .filter_map(|f| {
                let (bv, av) = (
                    b.get(*f).cloned().unwrap_or(Value::Null),
                    a.get(*f).cloned().unwrap_or(Value::Null),
                );
                (bv != av).then(|| FieldChange {
                    field: f.to_string(),
                    before: bv,
                    after: av,
                })
            })
            .collect();
        RequestDiff { changes }
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The change of one field, if it changed.
    pub fn change(&self, field: &str) -> Option<&FieldChange> {
        self.changes.iter().find(|c| c.field == field)
    }

    /// `before` with every change's `after` value set; `between(b, a).apply(b) == Ok(a)`.
    pub fn apply(&self, before: &ApplyAssetRequest) -> Result<ApplyAssetRequest, FieldErrors> {
        let mut obj = form_object(before);
        for c in &self.changes {
            if !APPLY_ASSET_FIELDS.contains(&c.field.as_str()) {
                return Err(FieldError::new(c.field.clone(), "not a field of the request").into());
            }
            obj.insert(c.field.clone(), c.after.clone());
        }
        let form: ApplyAssetForm = serde_json::from_value(Value::Object(obj))
            .map_err(|e| FieldError::new("diff", e.to_string()))?;
        form.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::ApplyAssetEdits;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn req() -> ApplyAssetRequest {
        ApplyAssetForm {
            permission_name: "p".into(),
            nodes: vec![],
            assets: vec![Uuid::from_u128(1)],
            accounts: vec!["root".into()],
            actions: vec!["connect".into()],
            start: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            expiry: Utc.with_ymd_and_hms(2026, 1, 8, 0, 0, 0).unwrap(),
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn lists_only_changed_fields() {
        let before = req();
        let after = ApplyAssetEdits {
            accounts: Some(vec!["root".into(), "admin".into()]),
            actions: Some(vec!["all".into()]),
            ..Default::default()
        }
        .apply_to(&before)
        .unwrap();
        let d = RequestDiff::between(&before, &after);
        let fields: Vec<_> = d.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["accounts", "actions"]);
        assert_eq!(
            d.change("actions").unwrap().before,
            serde_json::json!(["connect"])
        );
        assert_eq!(
            d.change("actions").unwrap().after,
            serde_json::json!(["all"])
        );
        assert_eq!(d.apply(&before).unwrap(), after);
        assert!(RequestDiff::between(&before, &before).is_empty());
    }

    #[test]
    fn apply_refuses_unknown_field_and_bad_values() {
        let bad = RequestDiff {
            changes: vec![FieldChange {
                field: "owner".into(),
                before: Value::Null,
                after: Value::Null,
            }],
        };
        assert!(bad.apply(&req()).is_err());
        let bad = RequestDiff {
            changes: vec![FieldChange {
                field: "expiry".into(),
                before: Value::Null,
                after: serde_json::json!("2025-01-01T00:00:00Z"),
            }],
        };
        assert!(bad.apply(&req()).unwrap_err().has("expiry"));
    }
}
