//! Approval flows: one per (org or global) and ticket type; the org's own wins. Super admins
//! edit every flow, org admins their org's. Saving never touches open tickets: they keep the
//! assignees resolved when they opened.

use sqlx::PgPool;
use tollgate_app::dto::{FlowDto, Person, PreviewLevel};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{Flow, OrgRole, TicketType, UserRef};
use uuid::Uuid;

use crate::store::directory as dir;
use crate::usecases::tickets::field_errors;

/// Where a flow applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope {
    Global,
    Org(Uuid),
}

impl Scope {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        if s == "global" {
            return Ok(Scope::Global);
        }
        s.parse::<Uuid>()
            .map(Scope::Org)
            .map_err(|_| AppError::new(400, "bad_scope", "The scope is `global` or an org id."))
    }

    fn org(self) -> Option<Uuid> {
        match self {
            Scope::Global => None,
            Scope::Org(o) => Some(o),
        }
    }

    fn as_string(self) -> String {
        match self {
            Scope::Global => "global".into(),
            Scope::Org(o) => o.to_string(),
        }
    }
}

/// Only apply_asset tickets follow flows; the confirm types ask the reviewers of their ACL.
fn parse_type(s: &str) -> Result<TicketType, AppError> {
    let t: TicketType = s
        .parse()
        .map_err(|_| AppError::new(400, "bad_type", format!("{s:?} is not a ticket type")))?;
    if t != TicketType::ApplyAsset {
        return Err(AppError::invalid(
            "type",
            "only apply_asset tickets follow flows; the other types ask the reviewers of the ACL that matched",
        ));
    }
    Ok(t)
}

fn is_org_admin(viewer: &Viewer, org: Uuid) -> bool {
    viewer
        .orgs
        .iter()
        .any(|m| m.org_id == org && m.role == OrgRole::OrgAdmin)
}

fn may_edit(viewer: &Viewer, scope: Scope) -> bool {
    match scope {
        Scope::Global => viewer.is_super_admin(),
        Scope::Org(o) => viewer.is_super_admin() || is_org_admin(viewer, o),
    }
}

/// Reading follows editing: the flows of what you administer.
fn check_may_see(viewer: &Viewer, scope: Scope) -> Result<(), AppError> {
    if may_edit(viewer, scope) {
        Ok(())
    } else {
        Err(AppError::forbidden(match scope {
            Scope::Global => "Only super admins see and edit the global flows.",
            Scope::Org(_) => "Only super admins and the org's admins see and edit its flows.",
        }))
    }
}

async fn load(
    pool: &PgPool,
    viewer: &Viewer,
    scope: Scope,
    t: TicketType,
) -> Result<FlowDto, AppError> {
    let org_name = match scope.org() {
        Some(o) => Some(
            dir::org_name(pool, o)
                .await?
                .ok_or_else(|| AppError::not_found("Org"))?,
        ),
        None => None,
    };
    let own = dir::own_flow(pool, scope.org(), t.as_str()).await?;
    let pending_change = {
        let mut db = pool.acquire().await?;
        crate::store::tickets::pending_policy_change(&mut db, scope.org(), "flow", t.as_str())
            .await?
    };
    let (flow, updated_at, is_own) = match own {
        Some((def, at)) => (parse_flow(def)?, Some(at), true),
        None => (
            dir::effective_flow(pool, scope.org(), t.as_str())
                .await?
                .unwrap_or_else(Flow::default_apply_asset),
            None,
            false,
        ),
    };
    let ids = flow.named_users();
    let people = dir::people(pool, &ids).await?;
    Ok(FlowDto {
        scope: scope.as_string(),
        org_id: scope.org(),
        org_name,
        ticket_type: t,
        own: is_own || scope == Scope::Global,
        people: ids.iter().filter_map(|i| people.get(i).cloned()).collect(),
        flow,
        updated_at,
        can_edit: may_edit(viewer, scope),
        pending_change,
    })
}

fn parse_flow(def: serde_json::Value) -> Result<Flow, AppError> {
    serde_json::from_value(def).map_err(|e| {
        tracing::error!(error = %e, "a stored flow does not parse");
        AppError::internal()
    })
}

pub async fn list(pool: &PgPool, viewer: &Viewer) -> Result<Vec<FlowDto>, AppError> {
    let mut scopes = Vec::new();
    if viewer.is_super_admin() {
        scopes.push(Scope::Global);
        for o in dir::all_orgs(pool).await? {
            scopes.push(Scope::Org(o.id));
        }
    } else {
        for m in viewer.orgs.iter().filter(|m| m.role == OrgRole::OrgAdmin) {
            scopes.push(Scope::Org(m.org_id));
        }
    }
    if scopes.is_empty() {
        return Err(AppError::forbidden(
            "Only super admins and org admins manage approval flows.",
        ));
    }
    let mut out = Vec::with_capacity(scopes.len());
    for s in scopes {
        out.push(load(pool, viewer, s, TicketType::ApplyAsset).await?);
    }
    Ok(out)
}

pub async fn get(
    pool: &PgPool,
    viewer: &Viewer,
    scope: &str,
    t: &str,
) -> Result<FlowDto, AppError> {
    let scope = Scope::parse(scope)?;
    let t = parse_type(t)?;
    check_may_see(viewer, scope)?;
    load(pool, viewer, scope, t).await
}

pub async fn put(
    pool: &PgPool,
    viewer: &Viewer,
    scope: &str,
    t: &str,
    flow: Flow,
) -> Result<FlowDto, AppError> {
    let scope = Scope::parse(scope)?;
    let t = parse_type(t)?;
    check_may_see(viewer, scope)?;
    if let Some(o) = scope.org() {
        dir::org_name(pool, o)
            .await?
            .ok_or_else(|| AppError::not_found("Org"))?;
    }
    let mut db = pool.acquire().await?;
    check(&mut db, scope.org(), &flow).await?;
    let def = serde_json::to_value(&flow).map_err(|_| AppError::internal())?;
    if !viewer.is_super_admin() {
        // Four eyes: an org admin's change waits for a super admin (policy.rs).
        drop(db);
        let before = own_definition(pool, scope, t).await?;
        let name = scope_name(pool, scope).await?;
        crate::usecases::policy::propose(
            pool,
            viewer,
            crate::usecases::policy::Proposal {
                org: scope.org(),
                policy: "flow",
                target: t.as_str().to_string(),
                before,
                after: Some(def),
                title: format!("Change the approval flow ({name})"),
            },
        )
        .await?;
        return load(pool, viewer, scope, t).await;
    }
    dir::upsert_flow(&mut *db, scope.org(), t.as_str(), &def, Some(viewer.id)).await?;
    tracing::info!(scope = %scope.as_string(), by = %viewer.username, "flow saved");
    load(pool, viewer, scope, t).await
}

/// Checks a flow against the directory: the people it names exist and are active, levels
/// are within bounds (core's `Flow::validate`); errors name the field.
pub async fn check(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    flow: &Flow,
) -> Result<(), AppError> {
    let directory = dir::directory_for(&mut *db, org, &flow.named_users()).await?;
    flow.validate(&directory, org).map_err(field_errors)
}

/// The scope's own stored flow, as JSON (None when it has none).
async fn own_definition(
    pool: &PgPool,
    scope: Scope,
    t: TicketType,
) -> Result<Option<serde_json::Value>, AppError> {
    Ok(dir::own_flow(pool, scope.org(), t.as_str())
        .await?
        .map(|(def, _)| def))
}

/// The org's name, or "global", for titles.
async fn scope_name(pool: &PgPool, scope: Scope) -> Result<String, AppError> {
    Ok(match scope.org() {
        Some(o) => dir::org_name(pool, o)
            .await?
            .ok_or_else(|| AppError::not_found("Org"))?,
        None => "global".into(),
    })
}

pub async fn delete(
    pool: &PgPool,
    viewer: &Viewer,
    scope: &str,
    t: &str,
) -> Result<FlowDto, AppError> {
    let scope = Scope::parse(scope)?;
    let t = parse_type(t)?;
    check_may_see(viewer, scope)?;
    let Some(org) = scope.org() else {
        return Err(AppError::conflict(
            "global_flow",
            "The global flow is the fallback of every org; change it instead of deleting it.",
        ));
    };
    if !viewer.is_super_admin() {
        let before = own_definition(pool, scope, t).await?;
        if before.is_none() {
            return load(pool, viewer, scope, t).await;
        }
        let name = scope_name(pool, scope).await?;
        crate::usecases::policy::propose(
            pool,
            viewer,
            crate::usecases::policy::Proposal {
                org: Some(org),
                policy: "flow",
                target: t.as_str().to_string(),
                before,
                after: None,
                title: format!("Remove the approval flow of {name} (the global one applies)"),
            },
        )
        .await?;
        return load(pool, viewer, scope, t).await;
    }
    dir::delete_flow(pool, org, t.as_str()).await?;
    load(pool, viewer, scope, t).await
}

pub async fn preview(
    pool: &PgPool,
    viewer: &Viewer,
    scope: &str,
    t: &str,
    draft: Option<Flow>,
    applicant: Uuid,
) -> Result<Vec<PreviewLevel>, AppError> {
    let scope_v = Scope::parse(scope)?;
    let flow = match draft {
        Some(f) => {
            parse_type(t)?;
            check_may_see(viewer, scope_v)?;
            f
        }
        None => get(pool, viewer, scope, t).await?.flow,
    };
    if dir::people(pool, &[applicant]).await?.is_empty() {
        return Err(AppError::invalid("applicant", "there is no such user"));
    }
    let mut named = flow.named_users();
    named.push(applicant);
    let mut db = pool.acquire().await?;
    let directory = dir::directory_for(&mut db, scope_v.org(), &named).await?;
    // For the global flow, "org admins" depends on each ticket's org: preview it for none.
    let levels = flow
        .resolve(&directory, scope_v.org(), applicant)
        .map_err(AppError::from)?;
    let added: Vec<Vec<UserRef>> = flow
        .levels
        .iter()
        .zip(&levels)
        .map(|(l, users)| {
            l.timers.escalate.as_ref().map_or_else(Vec::new, |e| {
                let asked: Vec<Uuid> = users.iter().map(|u| u.id).collect();
                tollgate_core::timers::escalation_adds(
                    &e.selector,
                    &directory,
                    scope_v.org(),
                    applicant,
                    &asked,
                )
            })
        })
        .collect();
    let ids: Vec<Uuid> = levels
        .iter()
        .chain(&added)
        .flatten()
        .map(|u| u.id)
        .collect();
    let people = dir::people(&mut *db, &ids).await?;
    let named = |users: Vec<UserRef>| -> Vec<Person> {
        users
            .into_iter()
            .map(|u| {
                people.get(&u.id).cloned().unwrap_or(Person {
                    id: u.id,
                    username: u.username.clone(),
                    display_name: u.username,
                })
            })
            .collect()
    };
    Ok(levels
        .into_iter()
        .zip(added)
        .enumerate()
        .map(|(i, (users, escalation))| PreviewLevel {
            level: (i + 1) as u8,
            users: named(users),
            escalation: named(escalation),
        })
        .collect())
}

/// Active users by username or display name.
pub async fn search_users(pool: &PgPool, q: Option<String>) -> Result<Vec<Person>, AppError> {
    let like = q
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| crate::store::contains_pattern(&s.chars().take(100).collect::<String>()));
    crate::store::users::search_active(pool, like).await
}

/// Makes sure a global apply_asset flow exists (an empty database gets the default one); runs
/// at every start.
pub async fn ensure_default_flow(pool: &PgPool) -> Result<(), AppError> {
    let def =
        serde_json::to_value(Flow::default_apply_asset()).map_err(|_| AppError::internal())?;
    dir::insert_global_apply_asset_flow_unless_present(pool, &def).await
}
