//! Orgs, the node tree, assets, accounts and flows. Adding an org, a node, an asset or an
//! account answers a name in use (the unique indexes below) with a 409 on `name`.

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

use super::errors::{taken, ResultExt};

/// Org names are unique whatever their case.
pub const ORG_NAME_KEY: &str = "orgs_name_key";
/// Sibling nodes have different names, whatever their case.
pub const NODE_NAME_KEY: &str = "nodes_sibling_name";
/// The assets of an org have different names, whatever their case.
pub const ASSET_NAME_KEY: &str = "assets_org_name";
/// The accounts of an asset have different names, whatever their case.
pub const ACCOUNT_NAME_KEY: &str = "accounts_asset_name";

pub async fn insert_org(db: impl PgExecutor<'_>, name: &str) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(db)
        .await
        .on_constraint(ORG_NAME_KEY, |_| taken("Org", name, "name"))?;
    Ok(id)
}

pub async fn org_by_name(db: impl PgExecutor<'_>, name: &str) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM orgs WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(db)
            .await?,
    )
}

/// Adds a node; `parent` None makes the org's root.
pub async fn insert_node(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    parent: Option<Uuid>,
    name: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO nodes (id, org_id, parent_id, name) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(org_id)
        .bind(parent)
        .bind(name)
        .execute(db)
        .await
        .on_constraint(NODE_NAME_KEY, |_| taken("A node named", name, "name"))?;
    Ok(id)
}

pub async fn insert_asset(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    name: &str,
    address: &str,
    platform: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO assets (id, org_id, name, address, platform) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(org_id)
    .bind(name)
    .bind(address)
    .bind(platform)
    .execute(db)
    .await
    .on_constraint(ASSET_NAME_KEY, |_| taken("Asset", name, "name"))?;
    Ok(id)
}

pub async fn place_asset(
    db: impl PgExecutor<'_>,
    asset_id: Uuid,
    node_id: Uuid,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO asset_nodes (asset_id, node_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(asset_id)
    .bind(node_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_account(
    db: impl PgExecutor<'_>,
    asset_id: Uuid,
    name: &str,
    username: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO accounts (id, asset_id, name, username) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(asset_id)
        .bind(name)
        .bind(username)
        .execute(db)
        .await
        .on_constraint(ACCOUNT_NAME_KEY, |_| taken("Account", name, "name"))?;
    Ok(id)
}

/// Writes the flow of (org or global, ticket type), replacing any previous one.
pub async fn upsert_flow(
    db: impl PgExecutor<'_>,
    org_id: Option<Uuid>,
    ticket_type: &str,
    definition: &serde_json::Value,
    by: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO flows (id, org_id, ticket_type, definition, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, ticket_type) DO UPDATE
         SET definition = EXCLUDED.definition, updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind(Uuid::new_v4())
    .bind(org_id)
    .bind(ticket_type)
    .bind(definition)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// The stored flow of exactly this scope (not the fallback): its definition and when it changed.
pub async fn own_flow(
    db: impl PgExecutor<'_>,
    org_id: Option<Uuid>,
    ticket_type: &str,
) -> Result<Option<(serde_json::Value, chrono::DateTime<chrono::Utc>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT definition, updated_at FROM flows WHERE ticket_type = $2 AND org_id IS NOT DISTINCT FROM $1",
    )
    .bind(org_id)
    .bind(ticket_type)
    .fetch_optional(db)
    .await?)
}

/// Removes an org's own flow (the global one applies again).
/// Whether a flow names `user` as an approver: by name at some level, or as an org admin of an
/// org whose own flow, or a global one, asks its org admins.
pub async fn named_in_a_flow(db: impl PgExecutor<'_>, user: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (
            SELECT 1 FROM flows f CROSS JOIN jsonb_array_elements(f.definition -> 'levels') l
            WHERE (l -> 'selector' -> 'users') ? $1::text
               OR (COALESCE((l -> 'selector' ->> 'org_admins')::boolean, false)
                   AND EXISTS (SELECT 1 FROM memberships m
                               WHERE m.user_id = $1 AND m.role = 'org_admin'
                                 AND (f.org_id IS NULL OR f.org_id = m.org_id))))",
    )
    .bind(user)
    .fetch_one(db)
    .await?)
}

pub async fn delete_flow(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    ticket_type: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM flows WHERE org_id = $1 AND ticket_type = $2")
        .bind(org_id)
        .bind(ticket_type)
        .execute(db)
        .await?;
    Ok(())
}

use std::collections::HashMap;

use tollgate_app::dto::{AccountDto, AssetDto, Named, NodeDto, OrgDto, Person};
use tollgate_core::{DirUser, Directory, Flow, SystemRole};

/// The flow that applies to (org, type): the org's own, else the global one.
pub async fn effective_flow(
    db: impl PgExecutor<'_>,
    org_id: Option<Uuid>,
    ticket_type: &str,
) -> Result<Option<Flow>, AppError> {
    let def: Option<serde_json::Value> = sqlx::query_scalar(sqlx::AssertSqlSafe(flow_sql("$2")))
        .bind(org_id)
        .bind(ticket_type)
        .fetch_optional(db)
        .await?;
    parse_flow(def)
}

/// SQL: the flow that applies to (org `$1`, the type in parameter `ty`): the org's own, else
/// the global one.
fn flow_sql(ty: &str) -> String {
    format!(
        "SELECT definition FROM flows WHERE ticket_type = {ty} AND (org_id = $1 OR org_id IS NULL)
         ORDER BY org_id NULLS LAST LIMIT 1"
    )
}

/// A stored flow definition, read back.
pub fn parse_flow(def: Option<serde_json::Value>) -> Result<Option<Flow>, AppError> {
    def.map(|d| {
        serde_json::from_value(d).map_err(|e| {
            tracing::error!(error = %e, "a stored flow does not parse");
            AppError::internal()
        })
    })
    .transpose()
}

/// The part of the directory that assignee resolution for `org` can touch: the named users,
/// every super admin, the org's admins, and the applicant — with their org roles, in one query.
pub async fn directory_for(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    named: &[Uuid],
) -> Result<Directory, AppError> {
    type Row = (Uuid, String, bool, String, Vec<Uuid>, Vec<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id, d.username, d.active, d.system_role,
                ARRAY(SELECT m.org_id FROM memberships m WHERE m.user_id = d.id ORDER BY m.org_id),
                ARRAY(SELECT m.role FROM memberships m WHERE m.user_id = d.id ORDER BY m.org_id)
         FROM (SELECT id, username, active, system_role FROM users WHERE id = ANY($1)
               UNION
               SELECT id, username, active, system_role FROM users WHERE system_role = 'super_admin'
               UNION
               SELECT u.id, u.username, u.active, u.system_role
               FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE m.org_id = $2 AND m.role = 'org_admin') d",
    )
    .bind(named)
    .bind(org)
    .fetch_all(&mut *db)
    .await?;
    Ok(Directory::new(
        rows.into_iter()
            .map(|(id, username, active, role, orgs, roles)| DirUser {
                id,
                username,
                active,
                system_role: if role == "super_admin" {
                    SystemRole::SuperAdmin
                } else {
                    SystemRole::User
                },
                org_roles: orgs
                    .into_iter()
                    .zip(roles.iter().map(|r| crate::store::users::parse_org_role(r)))
                    .collect(),
            })
            .collect(),
    ))
}

/// Names of people, by id.
pub async fn people(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Person>, AppError> {
    let rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, username, display_name FROM users WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display_name)| {
            (
                id,
                Person {
                    id,
                    username,
                    display_name,
                },
            )
        })
        .collect())
}

pub async fn org_name(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

pub async fn all_orgs(db: impl PgExecutor<'_>) -> Result<Vec<OrgDto>, AppError> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM orgs ORDER BY lower(name)")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| OrgDto { id, name })
        .collect())
}

/// Whether the viewer may look at the org's nodes, assets and accounts: its members, super
/// admins, and whoever must decide a pending ticket of that org (an approver from elsewhere
/// editing the request).
pub async fn may_browse_org(
    db: impl PgExecutor<'_>,
    viewer: &tollgate_app::model::Viewer,
    org: Uuid,
) -> Result<bool, AppError> {
    if viewer.is_super_admin() || viewer.orgs.iter().any(|m| m.org_id == org) {
        return Ok(true);
    }
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ticket_assignees a JOIN tickets t ON t.id = a.ticket_id
                        WHERE a.user_id = $1 AND t.org_id = $2 AND t.state = 'pending')",
    )
    .bind(viewer.id)
    .bind(org)
    .fetch_one(db)
    .await?)
}

/// The org's tree with paths (`/Default/prod/web`), parents before children.
pub async fn nodes(db: impl PgExecutor<'_>, org: Uuid) -> Result<Vec<NodeDto>, AppError> {
    let rows: Vec<(Uuid, Option<Uuid>, String, String, i64)> = sqlx::query_as(
        "WITH RECURSIVE tree AS (
            SELECT id, parent_id, name, '/' || name AS path FROM nodes WHERE org_id = $1 AND parent_id IS NULL
            UNION ALL
            SELECT n.id, n.parent_id, n.name, tree.path || '/' || n.name
            FROM nodes n JOIN tree ON n.parent_id = tree.id
         )
         SELECT tree.id, tree.parent_id, tree.name, tree.path,
                (SELECT count(*) FROM asset_nodes an WHERE an.node_id = tree.id) AS assets
         FROM tree ORDER BY tree.path",
    )
    .bind(org)
    .fetch_all(db)
    .await?;
    let mut out: Vec<NodeDto> = rows
        .into_iter()
        .map(|(id, parent_id, name, path, asset_count)| NodeDto {
            id,
            org_id: org,
            parent_id,
            name,
            path,
            asset_count,
        })
        .collect();
    // Count what sits anywhere below a node, not only directly under it: children come after
    // their parents in path order, so adding each node's count to its parent from the end
    // up carries every count to the top.
    for i in (0..out.len()).rev() {
        if let Some(parent) = out[i].parent_id {
            let n = out[i].asset_count;
            if let Some(p) = out.iter_mut().find(|p| p.id == parent) {
                p.asset_count += n;
            }
        }
    }
    Ok(out)
}

/// Assets of an org by name/address search, optionally under a node (and its descendants).
pub async fn assets(
    db: impl PgExecutor<'_>,
    org: Uuid,
    q: Option<&str>,
    node: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AssetDto>, AppError> {
    let like = q.map(super::contains_pattern);
    let rows: Vec<(Uuid, String, String, String, Vec<Uuid>)> = sqlx::query_as(
        "WITH RECURSIVE under AS (
            SELECT id FROM nodes WHERE id = $3 AND org_id = $1
            UNION ALL SELECT n.id FROM nodes n JOIN under ON n.parent_id = under.id
         )
         SELECT a.id, a.name, a.address, a.platform,
                COALESCE(array_agg(an.node_id) FILTER (WHERE an.node_id IS NOT NULL), '{}') AS nodes
         FROM assets a LEFT JOIN asset_nodes an ON an.asset_id = a.id
         WHERE a.org_id = $1
           AND ($2::text IS NULL OR lower(a.name) LIKE $2 OR lower(a.address) LIKE $2)
           AND ($3::uuid IS NULL OR a.id IN (SELECT asset_id FROM asset_nodes WHERE node_id IN (SELECT id FROM under)))
         GROUP BY a.id ORDER BY lower(a.name) LIMIT $4",
    )
    .bind(org)
    .bind(like)
    .bind(node)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, address, platform, nodes)| AssetDto {
            id,
            org_id: org,
            name,
            address,
            platform,
            nodes,
        })
        .collect())
}

pub async fn accounts_of(
    db: impl PgExecutor<'_>,
    assets: &[Uuid],
) -> Result<Vec<AccountDto>, AppError> {
    let rows: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(
        "SELECT id, asset_id, name, username FROM accounts WHERE asset_id = ANY($1) ORDER BY lower(name), asset_id",
    )
    .bind(assets)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, asset_id, name, username)| AccountDto {
            id,
            asset_id,
            name,
            username,
        })
        .collect())
}

/// SQL: of the uuids in parameter `ids`, those that are not rows of `table` in org `$1`.
fn not_in_org(table: &str, ids: &str) -> String {
    format!(
        "SELECT x FROM unnest({ids}::uuid[]) x
         WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE id = x AND org_id = $1)"
    )
}

/// Of `ids`, those that are not nodes of `org`.
pub async fn foreign_nodes(
    db: impl PgExecutor<'_>,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    not_of_org(db, "nodes", org, ids).await
}

/// Of `ids`, those that are not assets of `org`.
pub async fn foreign_assets(
    db: impl PgExecutor<'_>,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    not_of_org(db, "assets", org, ids).await
}

async fn not_of_org(
    db: impl PgExecutor<'_>,
    table: &'static str,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar(sqlx::AssertSqlSafe(not_in_org(table, "$2")))
            .bind(org)
            .bind(ids)
            .fetch_all(db)
            .await?,
    )
}

/// What opening or editing a request in an org needs to know, read in one statement.
#[derive(sqlx::FromRow)]
pub struct RequestContext {
    /// None: there is no such org.
    pub org_name: Option<String>,
    /// The named nodes, assets and account names the org does not have (`@ALL` always exists).
    pub foreign_nodes: Vec<Uuid>,
    pub foreign_assets: Vec<Uuid>,
    pub unknown_accounts: Vec<String>,
    /// The stored flow that applies to (org, type): the org's own, else the global one.
    pub flow: Option<serde_json::Value>,
    /// The stored `ttl_minutes` setting.
    pub ttl_minutes: Option<serde_json::Value>,
}

pub async fn request_context(
    db: &mut sqlx::PgConnection,
    org: Uuid,
    ticket_type: &str,
    nodes: &[Uuid],
    assets: &[Uuid],
    accounts: &[String],
) -> Result<RequestContext, AppError> {
    let sql = format!(
        "SELECT (SELECT name FROM orgs WHERE id = $1) AS org_name,
                ARRAY({}) AS foreign_nodes,
                ARRAY({}) AS foreign_assets,
                ARRAY(SELECT x FROM unnest($4::text[]) x WHERE x <> '@ALL' AND NOT EXISTS (
                    SELECT 1 FROM accounts ac WHERE ac.org_id = $1 AND lower(ac.name) = lower(x)))
                  AS unknown_accounts,
                ({}) AS flow,
                (SELECT value FROM settings WHERE key = 'ttl_minutes') AS ttl_minutes",
        not_in_org("nodes", "$2"),
        not_in_org("assets", "$3"),
        flow_sql("$5"),
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org)
        .bind(nodes)
        .bind(assets)
        .bind(accounts)
        .bind(ticket_type)
        .fetch_one(db)
        .await?)
}

/// What a ticket's answer shows by name: its people, its org, its nodes (as paths) and assets.
pub struct Names {
    pub people: HashMap<Uuid, Person>,
    pub org_name: Option<String>,
    pub nodes: Vec<Named>,
    pub assets: Vec<Named>,
}

/// Names of people, of the org, node paths and asset names, in one statement. Nodes and
/// assets are looked up only with an org; a deleted one is named as such.
pub async fn names(
    db: &mut sqlx::PgConnection,
    people: &[Uuid],
    org: Option<Uuid>,
    node_ids: &[Uuid],
    asset_ids: &[Uuid],
) -> Result<Names, AppError> {
    let (node_ids, asset_ids) = match org {
        Some(_) => (node_ids, asset_ids),
        None => (&[][..], &[][..]),
    };
    // Each named node's path, walking up from it (not the whole tree with its counts).
    let rows: Vec<(String, Uuid, String, Option<String>)> = sqlx::query_as(
        "WITH RECURSIVE up AS (
            SELECT id AS start, parent_id, name AS path FROM nodes
            WHERE id = ANY($3) AND org_id = $2
            UNION ALL
            SELECT up.start, n.parent_id, n.name || '/' || up.path
            FROM nodes n JOIN up ON n.id = up.parent_id
         )
         SELECT 'person', id, username, display_name FROM users WHERE id = ANY($1)
         UNION ALL SELECT 'org', id, name, NULL FROM orgs WHERE id = $2
         UNION ALL SELECT 'node', start, '/' || path, NULL FROM up WHERE parent_id IS NULL
         UNION ALL SELECT 'asset', id, name, NULL FROM assets WHERE id = ANY($4)",
    )
    .bind(people)
    .bind(org)
    .bind(node_ids)
    .bind(asset_ids)
    .fetch_all(&mut *db)
    .await?;
    let mut out = Names {
        people: HashMap::new(),
        org_name: None,
        nodes: vec![],
        assets: vec![],
    };
    let mut found: HashMap<(&str, Uuid), String> = HashMap::new();
    for (kind, id, name, display_name) in &rows {
        match kind.as_str() {
            "person" => {
                out.people.insert(
                    *id,
                    Person {
                        id: *id,
                        username: name.clone(),
                        display_name: display_name.clone().unwrap_or_default(),
                    },
                );
            }
            "org" => out.org_name = Some(name.clone()),
            "node" => {
                found.insert(("node", *id), name.clone());
            }
            _ => {
                found.insert(("asset", *id), name.clone());
            }
        }
    }
    let label = |kind: &'static str, missing: &str, id: &Uuid| Named {
        id: *id,
        name: found
            .get(&(kind, *id))
            .cloned()
            .unwrap_or_else(|| missing.to_string()),
    };
    out.nodes = node_ids
        .iter()
        .map(|id| label("node", "(deleted node)", id))
        .collect();
    out.assets = asset_ids
        .iter()
        .map(|id| label("asset", "(deleted asset)", id))
        .collect();
    Ok(out)
}

/// Node paths and asset names for display.
pub async fn labels(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    node_ids: &[Uuid],
    asset_ids: &[Uuid],
) -> Result<(Vec<Named>, Vec<Named>), AppError> {
    let n = names(db, &[], org, node_ids, asset_ids).await?;
    Ok((n.nodes, n.assets))
}

/// Writes `definition` as the global apply_asset flow unless there is one already.
pub async fn insert_global_apply_asset_flow_unless_present(
    db: impl PgExecutor<'_>,
    definition: &serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO flows (id, org_id, ticket_type, definition) VALUES ($1, NULL, 'apply_asset', $2)
         ON CONFLICT (org_id, ticket_type) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(definition)
    .execute(db)
    .await?;
    Ok(())
}

/// The org of the asset `id`; None when there is no such asset.
pub async fn org_of_asset(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT org_id FROM assets WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The orgs that hold any of the assets `ids` (each once).
pub async fn orgs_of_assets(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT org_id FROM assets WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(db)
            .await?,
    )
}
