//! The demo estate the run command loads: two orgs, five people, node trees, assets,
//! accounts and flows. Every demo user's password is `tollgate-demo`.

use sqlx::PgPool;
use tollgate_app::AppError;
use tollgate_core::{ApproverSelector, Flow, Level, OrgRole, Rule, SystemRole};

use crate::identity::password;
use crate::store::{directory as dir, users};

pub const PASSWORD: &str = "tollgate-demo";

/// (username, display name, system role)
const PEOPLE: &[(&str, &str, SystemRole)] = &[
    ("admin", "Ada Admin", SystemRole::SuperAdmin),
    ("alice", "Alice Liddell", SystemRole::User),
    ("bob", "Bob Builder", SystemRole::User),
    ("carol", "Carol Danvers", SystemRole::User),
    ("dave", "Dave Lister", SystemRole::User),
];

/// Loads the demo unless it is there already (the org `Default` exists). Returns whether it loaded.
pub async fn load(pool: &PgPool) -> Result<bool, AppError> {
    if dir::org_by_name(pool, "Default").await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash(PASSWORD.to_string()).await?;
    let mut tx = pool.begin().await?;
    let mut ids = std::collections::HashMap::new();
    for (username, name, role) in PEOPLE {
        let id = users::insert(
            &mut *tx,
            &users::NewUser {
                username,
                display_name: name,
                email: &format!("{username}@tollgate.example"),
                password_hash: Some(&hash),
                system_role: *role,
            },
        )
        .await?;
        ids.insert(*username, id);
    }
    let default = dir::insert_org(&mut *tx, "Default").await?;
    let research = dir::insert_org(&mut *tx, "Research").await?;
    users::add_membership(&mut *tx, default, ids["alice"], OrgRole::OrgUser).await?;
    users::add_membership(&mut *tx, default, ids["bob"], OrgRole::OrgAdmin).await?;
    users::add_membership(&mut *tx, research, ids["carol"], OrgRole::OrgUser).await?;
    users::add_membership(&mut *tx, default, ids["dave"], OrgRole::OrgUser).await?;
    users::add_membership(&mut *tx, research, ids["dave"], OrgRole::OrgUser).await?;

    // Default: /Default/prod/web, /Default/prod/db, /Default/staging
    let root = dir::insert_node(&mut *tx, default, None, "Default").await?;
    let prod = dir::insert_node(&mut *tx, default, Some(root), "prod").await?;
    let web = dir::insert_node(&mut *tx, default, Some(prod), "web").await?;
    let db = dir::insert_node(&mut *tx, default, Some(prod), "db").await?;
    let staging = dir::insert_node(&mut *tx, default, Some(root), "staging").await?;
    let linux_accounts: &[(&str, &str)] =
        &[("root", "root"), ("deploy", "deploy"), ("readonly", "ro")];
    for (name, addr, platform, node, accounts) in [
        ("web-01", "10.0.1.11", "linux", web, linux_accounts),
        ("web-02", "10.0.1.12", "linux", web, linux_accounts),
        (
            "db-mysql-01",
            "10.0.2.21",
            "mysql",
            db,
            &[("root", "root"), ("readonly", "reader")][..],
        ),
        (
            "db-pg-01",
            "10.0.2.22",
            "postgresql",
            db,
            &[("postgres", "postgres"), ("readonly", "reader")][..],
        ),
        ("stage-01", "10.0.3.31", "linux", staging, linux_accounts),
    ] {
        let asset = dir::insert_asset(&mut *tx, default, name, addr, platform).await?;
        dir::place_asset(&mut *tx, asset, node).await?;
        for (acc, login) in accounts {
            dir::insert_account(&mut *tx, asset, acc, login).await?;
        }
    }

    // Research: /Research/gpu, /Research/lab
    let rroot = dir::insert_node(&mut *tx, research, None, "Research").await?;
    let gpu = dir::insert_node(&mut *tx, research, Some(rroot), "gpu").await?;
    let lab = dir::insert_node(&mut *tx, research, Some(rroot), "lab").await?;
    for (name, addr, platform, node, accounts) in [
        ("gpu-01", "10.1.0.11", "linux", gpu, linux_accounts),
        ("gpu-02", "10.1.0.12", "linux", gpu, linux_accounts),
        (
            "lab-db",
            "10.1.1.21",
            "postgresql",
            lab,
            &[("postgres", "postgres"), ("readonly", "reader")][..],
        ),
    ] {
        let asset = dir::insert_asset(&mut *tx, research, name, addr, platform).await?;
        dir::place_asset(&mut *tx, asset, node).await?;
        for (acc, login) in accounts {
            dir::insert_account(&mut *tx, asset, acc, login).await?;
        }
    }

    // Flows: the global fallback asks the super admins; Default asks its org admins, then carol.
    let global = Flow::default_apply_asset();
    dir::upsert_flow(
        &mut *tx,
        None,
        "apply_asset",
        &serde_json::to_value(&global).map_err(|_| AppError::internal())?,
        None,
    )
    .await?;
    let default_flow = Flow {
        levels: vec![
            Level {
                selector: ApproverSelector {
                    users: vec![],
                    super_admins: false,
                    org_admins: true,
                },
                rule: Rule::Any,
                step_up: false,
                timers: Default::default(),
                no_delegation: false,
            },
            Level {
                selector: ApproverSelector {
                    users: vec![ids["carol"]],
                    super_admins: false,
                    org_admins: false,
                },
                rule: Rule::Any,
                step_up: false,
                timers: Default::default(),
                no_delegation: false,
            },
        ],
        cc: vec![],
        limits: Default::default(),
    };
    dir::upsert_flow(
        &mut *tx,
        Some(default),
        "apply_asset",
        &serde_json::to_value(&default_flow).map_err(|_| AppError::internal())?,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
