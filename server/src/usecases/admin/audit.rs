//! The audit export: tickets opened in a date range and every event of each, as CSV.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::OrgRole;
use uuid::Uuid;

/// `YYYY-MM-DD` (a whole day: `to` includes it) or an RFC 3339 time.
pub fn parse_bound(field: &str, raw: &str, end: bool) -> Result<DateTime<Utc>, AppError> {
    let s = raw.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end { d + Duration::days(1) } else { d };
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time."),
            )
        })
}

/// One CSV field: quoted when needed; a leading `=`, `+`, `-` or `@` is defused so that a
/// spreadsheet does not run it as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV text. Super admins export every org; org admins and auditors theirs (`org`
/// narrows to one); anyone else is refused.
pub async fn tickets_csv(
    pool: &PgPool,
    v: &Viewer,
    from: Option<&str>,
    to: Option<&str>,
    org: Option<Uuid>,
) -> Result<String, AppError> {
    let overseen: Vec<Uuid> = v
        .orgs
        .iter()
        .filter(|m| matches!(m.role, OrgRole::OrgAdmin | OrgRole::OrgAuditor))
        .map(|m| m.org_id)
        .collect();
    if !v.is_super_admin() && overseen.is_empty() {
        return Err(AppError::forbidden(
            "Only super admins and org admins and auditors export the audit trail.",
        ));
    }
    if let Some(o) = org {
        if !v.is_super_admin() && !overseen.contains(&o) {
            return Err(AppError::not_found("Org"));
        }
    }
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_bound("to", s, true)?,
        None => Utc::now(),
    };
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_bound("from", s, false)?,
        None => to - Duration::days(30),
    };
    if from >= to {
        return Err(AppError::invalid("to", "`to` must come after `from`."));
    }
    if to - from > Duration::days(366) {
        return Err(AppError::invalid("to", "At most a year at a time."));
    }
    let rows =
        crate::store::audit::ticket_events(pool, from, to, v.is_super_admin(), &overseen, org)
            .await?;
    let mut out = String::from(
        "serial,ticket_id,type,title,org,applicant,state,created_at,event_at,event,actor,level,comment,diff\r\n",
    );
    for r in rows {
        let cols = [
            field(&r.serial),
            r.ticket_id.to_string(),
            field(&r.ticket_type),
            field(&r.title),
            field(r.org.as_deref().unwrap_or("")),
            field(&r.applicant),
            field(&r.state),
            r.created_at.to_rfc3339(),
            r.event_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            field(r.event.as_deref().unwrap_or("")),
            field(r.actor.as_deref().unwrap_or("")),
            r.level.map(|l| l.to_string()).unwrap_or_default(),
            field(r.comment.as_deref().unwrap_or("")),
            field(&r.diff.map(|d| d.to_string()).unwrap_or_default()),
        ];
        out.push_str(&cols.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
