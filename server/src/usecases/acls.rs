//! ACL use-cases: keep the three kinds of rule (login, login-asset, command filter), check who
//! may edit them, and load them for a decision. The rules and their matching are core's; a
//! rule is stored as core serializes it, with copies of its name, priority, action and org
//! beside it for lists and ordering.

use crate::store::{acls as store, users};
use crate::usecases::acl_cache::AclCache;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use tollgate_app::dto::Person;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{
    AclAction, CommandFilterAcl, CommandGroup, CommandGroupSpec, IpList, LoginAcl, LoginAssetAcl,
    OrgRole, Selector, TimeWindows,
};
use uuid::Uuid;

/// The three kinds of ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AclKind {
    /// Sign-ins to Tollgate (global).
    Login,
    /// Connections to assets (per org).
    LoginAsset,
    /// Commands on assets (per org).
    CommandFilter,
}

impl AclKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AclKind::Login => "login",
            AclKind::LoginAsset => "login_asset",
            AclKind::CommandFilter => "command_filter",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "login" => Some(AclKind::Login),
            "login_asset" => Some(AclKind::LoginAsset),
            "command_filter" => Some(AclKind::CommandFilter),
            _ => None,
        }
    }

    fn is_global(self) -> bool {
        self == AclKind::Login
    }
}

fn all() -> Selector {
    Selector::All
}
fn default_priority() -> i32 {
    50
}
fn yes() -> bool {
    true
}
fn any_ip() -> Vec<String> {
    vec!["*".into()]
}

/// A rule as written by an admin. One shape for the three kinds; fields that do not apply to
/// a kind are ignored (`ips`, `time` for login ACLs; `org_id`, `assets`, `accounts` for the
/// org kinds; `command_groups` for command filters).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AclInput {
    /// A name for lists (1–128 characters).
    pub name: String,
    /// 1–100; lower runs first (default 50).
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// Off rules never match (default on).
    #[serde(default = "yes")]
    pub active: bool,
    /// The org (login-asset and command filter ACLs).
    #[serde(default)]
    pub org_id: Option<Uuid>,
    /// Who: `"all"`, `{"ids": [...]}` or `{"names": ["ops-*"]}` (default all).
    #[serde(default = "all")]
    pub users: Selector,
    /// Login ACLs: source addresses (`10.0.0.1`, `10.0.0.0/8`, `a-b`, `*`; default `*`).
    #[serde(default = "any_ip")]
    pub ips: Vec<String>,
    /// Login ACLs: `{"timezone": "Europe/Paris", "days": {"mon": ["09:00-18:00"], ...}}`
    /// (default always).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub time: Option<TimeWindows>,
    /// Which assets (default all).
    #[serde(default = "all")]
    pub assets: Selector,
    /// Which accounts, by name pattern (default all).
    #[serde(default = "all")]
    pub accounts: Selector,
    /// Command filters: `[{"patterns": ["rm", "shutdown"], "kind": "command"|"regex",
    /// "ignore_case": true}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub command_groups: Vec<CommandGroupSpec>,
    /// `accept`, `reject`, `review`, or (command filters only) `warning`.
    #[schema(value_type = String)]
    pub action: AclAction,
    /// Who reviews, for `review` (user ids; at least one).
    #[serde(default)]
    pub reviewers: Vec<Uuid>,
    /// For `review`: approving or rejecting the review needs a fresh second factor (as a flow
    /// level may ask). Ignored for the other actions.
    #[serde(default)]
    pub step_up: bool,
    /// Connection and command rules in `review`: an approval of the same user, asset and
    /// account (and command line) within this many minutes (1 to 1440) answers the gateway
    /// `accept` at once. Ignored for the other actions and for sign-in rules.
    #[serde(default)]
    pub reuse_minutes: Option<u16>,
}

/// A rule as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AclDto {
    pub id: Uuid,
    pub kind: AclKind,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
    pub name: String,
    pub priority: i32,
    pub active: bool,
    #[schema(value_type = String)]
    pub action: AclAction,
    pub users: Selector,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ips: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub time: Option<TimeWindows>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assets: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub command_groups: Option<Vec<CommandGroupSpec>>,
    /// The reviewers' ids.
    pub reviewers: Vec<Uuid>,
    /// The reviewers, named.
    pub reviewer_people: Vec<Person>,
    /// For `review`: deciding the review needs a fresh second factor.
    pub step_up: bool,
    /// For `review` (connections and commands): how long an approval answers again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reuse_minutes: Option<u16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A checked rule, ready to store.
enum Rule {
    Login(LoginAcl),
    LoginAsset(LoginAssetAcl),
    Command(CommandFilterAcl),
}

impl Rule {
    fn json(&self) -> Result<serde_json::Value, AppError> {
        match self {
            Rule::Login(r) => serde_json::to_value(r),
            Rule::LoginAsset(r) => serde_json::to_value(r),
            Rule::Command(r) => serde_json::to_value(r),
        }
        .map_err(|_| AppError::internal())
    }
}

fn action_str(a: AclAction) -> &'static str {
    match a {
        AclAction::Accept => "accept",
        AclAction::Reject => "reject",
        AclAction::Review => "review",
        AclAction::Warning => "warning",
    }
}

fn check_selector(field: &str, s: &Selector) -> Result<(), AppError> {
    match s {
        Selector::Ids(ids) if ids.is_empty() => {
            Err(AppError::invalid(field, "choose at least one, or all"))
        }
        Selector::Names(n) if n.iter().all(|p| p.trim().is_empty()) => Err(AppError::invalid(
            field,
            "give at least one name pattern, or all",
        )),
        Selector::Ids(ids) if ids.len() > 1000 => Err(AppError::invalid(field, "too many")),
        Selector::Names(n) if n.len() > 1000 => Err(AppError::invalid(field, "too many")),
        _ => Ok(()),
    }
}

fn trimmed(s: Selector) -> Selector {
    match s {
        Selector::Names(n) => Selector::Names(
            n.into_iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        ),
        other => other,
    }
}

/// Checks an input against the kind's rules and the database; `id` is the rule's id.
async fn check(
    db: &mut PgConnection,
    kind: AclKind,
    id: Uuid,
    input: AclInput,
) -> Result<(Option<Uuid>, Rule), AppError> {
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Give the rule a name."));
    }
    if name.chars().count() > 128 {
        return Err(AppError::invalid("name", "at most 128 characters"));
    }
    if !(1..=100).contains(&input.priority) {
        return Err(AppError::invalid("priority", "a number from 1 to 100"));
    }
    if input.action == AclAction::Warning && kind != AclKind::CommandFilter {
        return Err(AppError::invalid(
            "action",
            "warning is only for command filter ACLs; use accept, reject or review",
        ));
    }
    let users = trimmed(input.users);
    check_selector("users", &users)?;
    if let Selector::Ids(ids) = &users {
        let known = users::count_existing(&mut *db, ids).await?;
        if known as usize != ids.len() {
            return Err(AppError::invalid("users", "a chosen user does not exist"));
        }
    }
    let mut reviewers: Vec<Uuid> = Vec::new();
    for r in input.reviewers {
        if !reviewers.contains(&r) {
            reviewers.push(r);
        }
    }
    if input.action == AclAction::Review {
        if reviewers.is_empty() {
            return Err(AppError::invalid(
                "reviewers",
                "A review rule needs at least one reviewer.",
            ));
        }
        let known = users::count_active(&mut *db, &reviewers).await?;
        if known as usize != reviewers.len() {
            return Err(AppError::invalid(
                "reviewers",
                "a reviewer does not exist or is deactivated",
            ));
        }
    } else {
        reviewers.clear();
    }
    let step_up = input.step_up && input.action == AclAction::Review;
    let reuse_minutes = input
        .reuse_minutes
        .filter(|_| input.action == AclAction::Review && !kind.is_global());
    tollgate_core::acl::rules::check_reuse_minutes(reuse_minutes)
        .map_err(|e| AppError::invalid(&e.field, e.reason))?;

    if kind.is_global() {
        let ips = IpList::parse(&input.ips).map_err(|e| AppError::invalid(&e.field, e.reason))?;
        if ips.0.is_empty() {
            return Err(AppError::invalid(
                "ips",
                "Give at least one address, network or range (* for every address).",
            ));
        }
        return Ok((
            None,
            Rule::Login(LoginAcl {
                id,
                name,
                priority: input.priority,
                active: input.active,
                users,
                ips,
                time: input.time.unwrap_or_default(),
                action: input.action,
                reviewers,
                step_up,
            }),
        ));
    }

    let Some(org) = input.org_id else {
        return Err(AppError::invalid(
            "org_id",
            "Choose the org this rule is for.",
        ));
    };
    if crate::store::directory::org_name(&mut *db, org)
        .await?
        .is_none()
    {
        return Err(AppError::invalid("org_id", "there is no such org"));
    }
    let assets = trimmed(input.assets);
    check_selector("assets", &assets)?;
    if let Selector::Ids(ids) = &assets {
        let bad = crate::store::directory::foreign_assets(&mut *db, org, ids).await?;
        if let Some(b) = bad.first() {
            return Err(AppError::invalid(
                "assets",
                format!("{b} is not an asset of this org"),
            ));
        }
    }
    let accounts = trimmed(input.accounts);
    check_selector("accounts", &accounts)?;
    if matches!(accounts, Selector::Ids(_)) {
        return Err(AppError::invalid(
            "accounts",
            "accounts are chosen by name: all, or {\"names\": [...]}",
        ));
    }
    if kind == AclKind::LoginAsset {
        return Ok((
            Some(org),
            Rule::LoginAsset(LoginAssetAcl {
                id,
                name,
                priority: input.priority,
                active: input.active,
                users,
                assets,
                accounts,
                action: input.action,
                reviewers,
                step_up,
                reuse_minutes,
            }),
        ));
    }
    if input.command_groups.is_empty() {
        return Err(AppError::invalid(
            "command_groups",
            "Give at least one command group.",
        ));
    }
    let mut groups = Vec::new();
    for (i, spec) in input.command_groups.into_iter().enumerate() {
        if spec.patterns.iter().all(|p| p.trim().is_empty()) {
            return Err(AppError::invalid(
                &format!("command_groups[{i}]"),
                "a command group needs at least one command or pattern",
            ));
        }
        let g = CommandGroup::parse(spec).map_err(|e| {
            AppError::invalid(&format!("command_groups[{i}].{}", e.field), e.reason)
        })?;
        groups.push(g);
    }
    Ok((
        Some(org),
        Rule::Command(CommandFilterAcl {
            id,
            name,
            priority: input.priority,
            active: input.active,
            users,
            assets,
            accounts,
            command_groups: groups,
            action: input.action,
            reviewers,
            step_up,
            reuse_minutes,
        }),
    ))
}

/// Super admins edit every ACL; org admins the login-asset and command ACLs of their orgs.
pub fn may_edit(viewer: &Viewer, kind: AclKind, org: Option<Uuid>) -> bool {
    viewer.is_super_admin()
        || (!kind.is_global()
            && org.is_some_and(|o| {
                viewer
                    .orgs
                    .iter()
                    .any(|m| m.org_id == o && m.role == OrgRole::OrgAdmin)
            }))
}

fn admin_orgs(viewer: &Viewer) -> Vec<Uuid> {
    viewer
        .orgs
        .iter()
        .filter(|m| m.role == OrgRole::OrgAdmin)
        .map(|m| m.org_id)
        .collect()
}

pub(crate) fn bad_row(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "a stored ACL does not parse");
    AppError::internal()
}

async fn to_dtos(db: &mut PgConnection, rows: Vec<store::AclRow>) -> Result<Vec<AclDto>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut dtos = Vec::with_capacity(rows.len());
    let mut ids = Vec::new();
    for r in rows {
        let kind = AclKind::parse(&r.kind).ok_or_else(|| bad_row(&r.kind))?;
        let base = |name: String,
                    priority: i32,
                    active: bool,
                    action: AclAction,
                    users: Selector,
                    reviewers: Vec<Uuid>,
                    step_up: bool| AclDto {
            id: r.id,
            kind,
            org_id: r.org_id,
            org_name: r.org_name.clone(),
            name,
            priority,
            active,
            action,
            users,
            ips: None,
            time: None,
            assets: None,
            accounts: None,
            command_groups: None,
            reviewers,
            reviewer_people: vec![],
            step_up,
            reuse_minutes: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        // The fields every kind of rule has.
        macro_rules! base {
            ($a:expr) => {
                base(
                    $a.name,
                    $a.priority,
                    $a.active,
                    $a.action,
                    $a.users,
                    $a.reviewers,
                    $a.step_up,
                )
            };
        }
        let dto = match kind {
            AclKind::Login => {
                let a: LoginAcl = serde_json::from_value(r.rule.clone()).map_err(bad_row)?;
                let mut d = base!(a);
                d.ips = Some(a.ips.0.iter().map(|p| p.to_string()).collect());
                d.time = Some(a.time);
                d
            }
            AclKind::LoginAsset => {
                let a: LoginAssetAcl = serde_json::from_value(r.rule.clone()).map_err(bad_row)?;
                let mut d = base!(a);
                d.assets = Some(a.assets);
                d.accounts = Some(a.accounts);
                d.reuse_minutes = a.reuse_minutes;
                d
            }
            AclKind::CommandFilter => {
                let a: CommandFilterAcl =
                    serde_json::from_value(r.rule.clone()).map_err(bad_row)?;
                let mut d = base!(a);
                d.assets = Some(a.assets);
                d.accounts = Some(a.accounts);
                d.command_groups =
                    Some(a.command_groups.iter().map(|g| g.spec().clone()).collect());
                d.reuse_minutes = a.reuse_minutes;
                d
            }
        };
        ids.extend(dto.reviewers.iter().copied());
        dtos.push(dto);
    }
    let people = crate::store::directory::people(&mut *db, &ids).await?;
    for mut d in dtos {
        d.reviewer_people = d
            .reviewers
            .iter()
            .filter_map(|id| people.get(id).cloned())
            .collect();
        out.push(d);
    }
    Ok(out)
}

/// The ACLs of a kind the viewer may edit, in decision order (priority, then id);
/// `org` narrows the org kinds to one org.
pub async fn list(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    org: Option<Uuid>,
) -> Result<Vec<AclDto>, AppError> {
    let orgs: Option<Vec<Uuid>> = if viewer.is_super_admin() {
        None
    } else if kind.is_global() {
        return Err(AppError::forbidden("Only super admins manage login ACLs."));
    } else {
        let mine = admin_orgs(viewer);
        if mine.is_empty() {
            return Err(AppError::forbidden(
                "Only super admins and org admins manage these ACLs.",
            ));
        }
        Some(mine)
    };
    let mut db = pool.acquire().await?;
    let rows = store::list(&mut *db, kind.as_str(), orgs, org).await?;
    to_dtos(&mut db, rows).await
}

async fn load(db: &mut PgConnection, kind: AclKind, id: Uuid) -> Result<Option<AclDto>, AppError> {
    let rows = store::get(&mut *db, kind.as_str(), id).await?;
    Ok(to_dtos(db, rows).await?.pop())
}

/// One ACL the viewer may edit (404 otherwise).
pub async fn get(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    id: Uuid,
) -> Result<AclDto, AppError> {
    let mut db = pool.acquire().await?;
    match load(&mut db, kind, id).await? {
        Some(d) if may_edit(viewer, kind, d.org_id) => Ok(d),
        _ => Err(AppError::not_found("ACL")),
    }
}

async fn write(
    db: &mut PgConnection,
    kind: AclKind,
    id: Uuid,
    org: Option<Uuid>,
    rule: &Rule,
    insert: bool,
) -> Result<(), AppError> {
    let (name, priority, active, action) = match rule {
        Rule::Login(r) => (&r.name, r.priority, r.active, r.action),
        Rule::LoginAsset(r) => (&r.name, r.priority, r.active, r.action),
        Rule::Command(r) => (&r.name, r.priority, r.active, r.action),
    };
    let acl = store::NewAcl {
        id,
        kind: kind.as_str(),
        org_id: org,
        name,
        priority,
        active,
        action: action_str(action),
        rule: rule.json()?,
    };
    store::write(&mut *db, acl, insert).await?;
    announce_change(db).await
}

/// Deletes a rule and announces the change.
async fn remove(db: &mut PgConnection, kind: AclKind, id: Uuid) -> Result<(), AppError> {
    store::delete(&mut *db, kind.as_str(), id).await?;
    announce_change(db).await
}

/// Tells every instance (after commit) that ACLs changed: their caches drop what they hold.
async fn announce_change(db: &mut PgConnection) -> Result<(), AppError> {
    store::announce_change(db, crate::usecases::acl_cache::CHANNEL).await
}

fn refuse_edit(kind: AclKind) -> AppError {
    if kind.is_global() {
        AppError::forbidden("Only super admins manage login ACLs.")
    } else {
        AppError::forbidden("Only super admins and the org's admins manage its ACLs.")
    }
}

/// Makes a rule.
pub async fn create(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    input: AclInput,
) -> Result<AclWrite, AppError> {
    let org = if kind.is_global() { None } else { input.org_id };
    // Refuse early when the org is known and not the viewer's; a missing org is a 422 below.
    if !may_edit(viewer, kind, org) && (org.is_some() || kind.is_global()) {
        return Err(refuse_edit(kind));
    }
    let mut tx = pool.begin().await?;
    let id = Uuid::new_v4();
    let after = serde_json::to_value(&input).map_err(|_| AppError::internal())?;
    let (org, rule) = check(&mut tx, kind, id, input).await?;
    if !may_edit(viewer, kind, org) {
        return Err(refuse_edit(kind));
    }
    if !viewer.is_super_admin() {
        drop(tx);
        return propose(
            pool,
            viewer,
            kind,
            org,
            id,
            None,
            Some(after),
            &format!("Add the rule {:?}", rule_name(&rule)),
        )
        .await;
    }
    write(&mut tx, kind, id, org, &rule, true).await?;
    let out = load(&mut tx, kind, id)
        .await?
        .ok_or_else(AppError::internal)?;
    tx.commit().await?;
    tracing::info!(acl_id = %id, kind = kind.as_str(), by = %viewer.username, "acl created");
    Ok(AclWrite::Done(Box::new(out)))
}

/// What saving a rule did: applied (super admins), or proposed for a super admin's approval.
pub enum AclWrite {
    Done(Box<AclDto>),
    Pending(tollgate_app::dto::PendingChange),
}

fn rule_name(rule: &Rule) -> &str {
    match rule {
        Rule::Login(r) => &r.name,
        Rule::LoginAsset(r) => &r.name,
        Rule::Command(r) => &r.name,
    }
}

/// The policy name of an org ACL kind, in `policy_change` tickets.
fn policy_of(kind: AclKind) -> &'static str {
    match kind {
        AclKind::Login => "login_acl",
        AclKind::LoginAsset => "login_asset_acl",
        AclKind::CommandFilter => "command_filter_acl",
    }
}

/// Four eyes (policy.rs): an org admin's rule change waits for a super admin.
#[allow(clippy::too_many_arguments)]
async fn propose(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    org: Option<Uuid>,
    id: Uuid,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    title: &str,
) -> Result<AclWrite, AppError> {
    let pending = crate::usecases::policy::propose(
        pool,
        viewer,
        crate::usecases::policy::Proposal {
            org,
            policy: policy_of(kind),
            target: id.to_string(),
            before,
            after,
            title: title.to_string(),
        },
    )
    .await?;
    Ok(AclWrite::Pending(pending))
}

/// Applies an approved change of the rule `id` (`None`: remove it), in the approving
/// transaction; the rule is checked again against today's directory.
pub async fn apply_change(
    db: &mut PgConnection,
    policy: &str,
    id: Uuid,
    after: Option<&serde_json::Value>,
) -> Result<(), AppError> {
    let kind = match policy {
        "login_asset_acl" => AclKind::LoginAsset,
        "command_filter_acl" => AclKind::CommandFilter,
        other => {
            return Err(AppError::invalid(
                "policy",
                format!("{other:?} is not a policy Tollgate knows"),
            ))
        }
    };
    match after {
        Some(v) => {
            let input: AclInput = serde_json::from_value(v.clone()).map_err(|e| {
                AppError::invalid("after", format!("the proposed rule does not parse: {e}"))
            })?;
            let (org, rule) = check(&mut *db, kind, id, input).await?;
            let exists = load(&mut *db, kind, id).await?.is_some();
            write(&mut *db, kind, id, org, &rule, !exists).await?;
        }
        None => remove(db, kind, id).await?,
    }
    Ok(())
}

/// The input that would recreate `d` (for PATCH).
fn input_of(d: &AclDto) -> AclInput {
    AclInput {
        name: d.name.clone(),
        priority: d.priority,
        active: d.active,
        org_id: d.org_id,
        users: d.users.clone(),
        ips: d.ips.clone().unwrap_or_else(any_ip),
        time: d.time.clone(),
        assets: d.assets.clone().unwrap_or(Selector::All),
        accounts: d.accounts.clone().unwrap_or(Selector::All),
        command_groups: d.command_groups.clone().unwrap_or_default(),
        action: d.action,
        reviewers: d.reviewers.clone(),
        step_up: d.step_up,
        reuse_minutes: d.reuse_minutes,
    }
}

/// Changes a rule: `patch` holds the fields to change (PATCH), or the whole rule (PUT).
pub async fn update(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    id: Uuid,
    patch: serde_json::Value,
    replace: bool,
) -> Result<AclWrite, AppError> {
    let mut tx = pool.begin().await?;
    let locked = store::lock(&mut *tx, kind.as_str(), id).await?;
    let current = match locked {
        Some(_) => load(&mut tx, kind, id).await?,
        None => None,
    };
    let current = match current {
        Some(d) if may_edit(viewer, kind, d.org_id) => d,
        _ => return Err(AppError::not_found("ACL")),
    };
    let serde_json::Value::Object(changes) = patch else {
        return Err(AppError::bad_request("The body must be a JSON object."));
    };
    let mut merged = if replace {
        serde_json::Map::new()
    } else {
        match serde_json::to_value(input_of(&current)) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(AppError::internal()),
        }
    };
    merged.extend(changes);
    if !kind.is_global() && !merged.contains_key("org_id") {
        merged.insert("org_id".into(), serde_json::json!(current.org_id));
    }
    let input: AclInput = serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| AppError::new(422, "invalid", format!("The rule is not valid: {e}")))?;
    let after = serde_json::to_value(&input).map_err(|_| AppError::internal())?;
    let (org, rule) = check(&mut tx, kind, id, input).await?;
    if !may_edit(viewer, kind, org) {
        return Err(refuse_edit(kind));
    }
    if !viewer.is_super_admin() {
        drop(tx);
        let before = serde_json::to_value(input_of(&current)).ok();
        return propose(
            pool,
            viewer,
            kind,
            org,
            id,
            before,
            Some(after),
            &format!("Change the rule {:?}", current.name),
        )
        .await;
    }
    write(&mut tx, kind, id, org, &rule, false).await?;
    let out = load(&mut tx, kind, id)
        .await?
        .ok_or_else(AppError::internal)?;
    tx.commit().await?;
    Ok(AclWrite::Done(Box::new(out)))
}

/// Deletes a rule; 404 when there is none the viewer may edit.
pub async fn delete(
    pool: &PgPool,
    viewer: &Viewer,
    kind: AclKind,
    id: Uuid,
) -> Result<Option<tollgate_app::dto::PendingChange>, AppError> {
    let d = get(pool, viewer, kind, id).await?;
    if !viewer.is_super_admin() {
        let before = serde_json::to_value(input_of(&d)).ok();
        let title = format!("Remove the rule {:?}", d.name);
        return match propose(pool, viewer, kind, d.org_id, id, before, None, &title).await? {
            AclWrite::Pending(p) => Ok(Some(p)),
            AclWrite::Done(_) => Ok(None),
        };
    }
    let mut tx = pool.begin().await?;
    remove(&mut tx, kind, d.id).await?;
    tx.commit().await?;
    tracing::info!(acl_id = %id, kind = kind.as_str(), by = %viewer.username, "acl deleted");
    Ok(None)
}

/// The stored (JSON) active rules of `kind` for `org`; [`crate::usecases::acl_cache`] parses and keeps them.
pub async fn rule_rows(
    pool: &PgPool,
    kind: AclKind,
    org: Option<Uuid>,
) -> Result<Vec<serde_json::Value>, AppError> {
    store::active_rules(pool, kind.as_str(), org).await
}

/// A rule's name, for reasons given to gateways and users.
pub async fn name_of(db: &mut PgConnection, id: Uuid) -> Result<String, AppError> {
    Ok(store::name_of(&mut *db, id)
        .await?
        .unwrap_or_else(|| "a rule".into()))
}

/// What the login ACLs say of a sign-in whose password was right.
pub enum LoginCheck {
    /// Let it through.
    Accept,
    /// Hold it for these reviewers (the rule's, minus the person signing in); deciding it needs
    /// a fresh second factor when `step_up`.
    Review {
        rule: String,
        reviewers: Vec<Uuid>,
        step_up: bool,
    },
}

/// Applies the login ACLs to a sign-in whose password was right (core's `decide_login`; the
/// reviewers of a review rule are not held by it). `accept`/`warning` → Accept, `reject` →
/// 403 naming the rule, `review` → Review (the caller holds the sign-in).
pub async fn check_login(
    pool: &PgPool,
    cache: &AclCache,
    user_id: Uuid,
    username: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<LoginCheck, AppError> {
    let Some((rule, d)) = login_decision(pool, cache, user_id, username, ip).await? else {
        return Ok(LoginCheck::Accept);
    };
    match d.action {
        AclAction::Accept | AclAction::Warning => Ok(LoginCheck::Accept),
        AclAction::Reject => {
            tracing::info!(user = %username, rule = %rule, "sign-in refused by a login ACL");
            Err(login_refused(&rule))
        }
        AclAction::Review => Ok(LoginCheck::Review {
            rule,
            reviewers: d.reviewers,
            step_up: d.step_up,
        }),
    }
}

fn login_refused(rule: &str) -> AppError {
    AppError::new(
        403,
        "login_refused",
        format!("Signing in from here is not allowed (rule {rule:?})."),
    )
}

/// The login rule that decides for this person, from this address, now: its name and core's
/// decision; None when no rule matches.
async fn login_decision(
    pool: &PgPool,
    cache: &AclCache,
    user_id: Uuid,
    username: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Option<(String, tollgate_core::AclDecision)>, AppError> {
    let rules = cache.rules::<LoginAcl>(pool, AclKind::Login, None).await?;
    if rules.is_empty() {
        return Ok(None);
    }
    let attempt = tollgate_core::LoginAttempt {
        user_id,
        username: username.to_string(),
        // Unknown source: the unspecified address, which only `*` matches.
        ip: ip.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        at: Utc::now(),
    };
    let d = tollgate_core::decide_login(&rules, &attempt);
    Ok(d.rule_id.map(|id| {
        let name = rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "a rule".into());
        (name, d)
    }))
}

/// Login rules hold for what a sign-in opened too: a session or API token used from an address
/// or at a time a `reject` rule refuses is refused on each request (403 `login_refused`), so a
/// rule takes effect at once, not only at the next sign-in. (`review` rules are not applied
/// here: the sign-in they held was approved.) Cheap: the rules come from the cache.
pub async fn check_request(
    pool: &PgPool,
    cache: &AclCache,
    viewer: &tollgate_app::model::Viewer,
    ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    match login_decision(pool, cache, viewer.id, &viewer.username, ip).await? {
        Some((rule, d)) if d.action == AclAction::Reject => Err(login_refused(&rule)),
        _ => Ok(()),
    }
}
