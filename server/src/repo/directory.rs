//! Orgs, the node tree, assets, accounts and flows.

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

pub async fn insert_org(db: impl PgExecutor<'_>, name: &str) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(db)
        .await?;
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
        .await?;
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
    .await?;
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
        .await?;
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

use std::collections::HashMap;

use tollgate_app::dto::{AccountDto, AssetDto, Named, NodeDto, OrgDto, Person};
use tollgate_core::{DirUser, Directory, Flow, OrgRole, SystemRole};

/// The flow that applies to (org, type): the org's own, else the global one.
pub async fn effective_flow(
    db: impl PgExecutor<'_>,
    org_id: Option<Uuid>,
    ticket_type: &str,
) -> Result<Option<Flow>, AppError> {
    let def: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT definition FROM flows WHERE ticket_type = $2 AND (org_id = $1 OR org_id IS NULL)
         ORDER BY org_id NULLS LAST LIMIT 1",
    )
    .bind(org_id)
    .bind(ticket_type)
    .fetch_optional(db)
    .await?;
    def.map(|d| {
        serde_json::from_value(d).map_err(|e| {
            tracing::error!(error = %e, "a stored flow does not parse");
            AppError::internal()
        })
    })
    .transpose()
}

/// The part of the directory that assignee resolution for `org` can touch: the named users,
/// every super admin, the org's admins, and the applicant.
pub async fn directory_for(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    named: &[Uuid],
) -> Result<Directory, AppError> {
    let rows: Vec<(Uuid, String, bool, String)> = sqlx::query_as(
        "SELECT id, username, active, system_role FROM users WHERE id = ANY($1)
         UNION
         SELECT id, username, active, system_role FROM users WHERE system_role = 'super_admin'
         UNION
         SELECT u.id, u.username, u.active, u.system_role
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $2 AND m.role = 'org_admin'",
    )
    .bind(named)
    .bind(org)
    .fetch_all(&mut *db)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let roles: Vec<(Uuid, Uuid, String)> =
        sqlx::query_as("SELECT user_id, org_id, role FROM memberships WHERE user_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *db)
            .await?;
    let mut by_user: HashMap<Uuid, Vec<(Uuid, OrgRole)>> = HashMap::new();
    for (u, o, r) in roles {
        by_user
            .entry(u)
            .or_default()
            .push((o, crate::repo::users::parse_org_role(&r)));
    }
    Ok(Directory::new(
        rows.into_iter()
            .map(|(id, username, active, role)| DirUser {
                id,
                username,
                active,
                system_role: if role == "super_admin" {
                    SystemRole::SuperAdmin
                } else {
                    SystemRole::User
                },
                org_roles: by_user.remove(&id).unwrap_or_default(),
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

/// Of `ids`, those that are not nodes of `org`.
pub async fn foreign_nodes(
    db: impl PgExecutor<'_>,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT x FROM unnest($2::uuid[]) x WHERE NOT EXISTS (SELECT 1 FROM nodes WHERE id = x AND org_id = $1)",
    )
    .bind(org)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// Of `ids`, those that are not assets of `org`.
pub async fn foreign_assets(
    db: impl PgExecutor<'_>,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT x FROM unnest($2::uuid[]) x WHERE NOT EXISTS (SELECT 1 FROM assets WHERE id = x AND org_id = $1)",
    )
    .bind(org)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// Of the account names, those no asset of `org` has (`@ALL` always exists).
pub async fn unknown_accounts(
    db: impl PgExecutor<'_>,
    org: Uuid,
    names: &[String],
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT x FROM unnest($2::text[]) x WHERE x <> '@ALL' AND NOT EXISTS (
            SELECT 1 FROM accounts ac WHERE ac.org_id = $1 AND lower(ac.name) = lower(x))",
    )
    .bind(org)
    .bind(names)
    .fetch_all(db)
    .await?)
}

/// Node paths and asset names for display.
pub async fn labels(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    node_ids: &[Uuid],
    asset_ids: &[Uuid],
) -> Result<(Vec<Named>, Vec<Named>), AppError> {
    let Some(org) = org else {
        return Ok((vec![], vec![]));
    };
    // Each named node's path, walking up from it (not the whole tree with its counts).
    let paths: Vec<(Uuid, String)> = if node_ids.is_empty() {
        vec![]
    } else {
        sqlx::query_as(
            "WITH RECURSIVE up AS (
                SELECT id AS start, parent_id, name AS path FROM nodes
                WHERE id = ANY($1) AND org_id = $2
                UNION ALL
                SELECT up.start, n.parent_id, n.name || '/' || up.path
                FROM nodes n JOIN up ON n.id = up.parent_id
             )
             SELECT start, '/' || path FROM up WHERE parent_id IS NULL",
        )
        .bind(node_ids)
        .bind(org)
        .fetch_all(&mut *db)
        .await?
    };
    let nodes = node_ids
        .iter()
        .map(|id| Named {
            id: *id,
            name: paths
                .iter()
                .find(|(n, _)| n == id)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| "(deleted node)".into()),
        })
        .collect();
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM assets WHERE id = ANY($1)")
            .bind(asset_ids)
            .fetch_all(&mut *db)
            .await?;
    let assets = asset_ids
        .iter()
        .map(|id| Named {
            id: *id,
            name: rows
                .iter()
                .find(|r| r.0 == *id)
                .map(|r| r.1.clone())
                .unwrap_or_else(|| "(deleted asset)".into()),
        })
        .collect();
    Ok((nodes, assets))
}
