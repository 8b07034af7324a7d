//! The estate of an org: its node tree, assets (placed under nodes) and their accounts.

use sqlx::PgPool;
use tollgate_app::admin_dto::*;
use tollgate_app::dto::{AccountDto, AssetDto, NodeDto};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use super::{account_name, address, login, name, node_name, platform, require_admin};
use crate::store::directory as dir;
use crate::store::estate;

/// 404 unless the viewer may look at the org's estate.
async fn browse(pool: &PgPool, v: &Viewer, org: Uuid) -> Result<(), AppError> {
    if dir::may_browse_org(pool, v, org).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Org"))
    }
}

// ---- nodes ----

pub async fn get_node(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<NodeDto, AppError> {
    let (org, _) = estate::node_place(pool, id)
        .await?
        .ok_or_else(|| AppError::not_found("Node"))?;
    // Only "may not look" is a 404: an error in asking (the database gone) stays what it is.
    if !dir::may_browse_org(pool, v, org).await? {
        return Err(AppError::not_found("Node"));
    }
    dir::nodes(pool, org)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| AppError::not_found("Node"))
}

pub async fn create_node(pool: &PgPool, v: &Viewer, body: NewNode) -> Result<NodeDto, AppError> {
    browse(pool, v, body.org_id).await?;
    require_admin(v, body.org_id)?;
    let node = node_name(&body.name)?;
    let parent = match body.parent_id {
        Some(p) => match estate::node_place(pool, p).await? {
            Some((org, _)) if org == body.org_id => p,
            _ => {
                return Err(AppError::invalid(
                    "parent_id",
                    "The parent is not a node of this org.",
                ))
            }
        },
        None => estate::root_of(pool, body.org_id)
            .await?
            .ok_or_else(|| AppError::invalid("parent_id", "The org has no root node."))?,
    };
    let id = dir::insert_node(pool, body.org_id, Some(parent), &node).await?;
    get_node(pool, v, id).await
}

/// Rename, or move under another node of the same org (never under itself or below it; the
/// root stays where it is).
pub async fn patch_node(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    body: NodePatch,
) -> Result<NodeDto, AppError> {
    let before = get_node(pool, v, id).await?;
    require_admin(v, before.org_id)?;
    let new_name = body.name.as_deref().map(node_name).transpose()?;
    let mut tx = pool.begin().await?;
    if let Some(p) = body.parent_id {
        if before.parent_id.is_none() {
            return Err(AppError::invalid("parent_id", "The root node cannot move."));
        }
        match estate::new_parent(&mut *tx, id, p).await? {
            Some((org, false)) if org == before.org_id => {}
            Some((_, true)) => {
                return Err(AppError::invalid(
                    "parent_id",
                    "A node cannot move under itself or one of its own children.",
                ))
            }
            _ => {
                return Err(AppError::invalid(
                    "parent_id",
                    "The new parent is not a node of this org.",
                ))
            }
        }
        estate::move_node(&mut *tx, id, &before.name, p).await?;
    }
    if let Some(n) = &new_name {
        estate::rename_node(&mut *tx, id, n).await?;
    }
    tx.commit().await?;
    get_node(pool, v, id).await
}

/// Deletes a node with no children and no assets under it (and not the root).
pub async fn delete_node(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    let node = get_node(pool, v, id).await?;
    require_admin(v, node.org_id)?;
    if node.parent_id.is_none() {
        return Err(AppError::conflict(
            "not_empty",
            "The root node goes only with its org.",
        ));
    }
    let children = estate::child_count(pool, id).await?;
    if children > 0 || node.asset_count > 0 {
        return Err(AppError::conflict(
            "not_empty",
            format!(
                "{} still has {children} child nodes and {} assets; empty it first.",
                node.path, node.asset_count
            ),
        ));
    }
    estate::delete_node(pool, id).await?;
    Ok(())
}

// ---- assets ----

pub async fn get_asset(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<AssetDto, AppError> {
    let org = estate::asset_org(pool, id)
        .await?
        .ok_or_else(|| AppError::not_found("Asset"))?;
    if !dir::may_browse_org(pool, v, org).await? {
        return Err(AppError::not_found("Asset"));
    }
    let row = estate::asset(pool, id).await?;
    Ok(AssetDto {
        id: row.id,
        org_id: org,
        name: row.name,
        address: row.address,
        platform: row.platform,
        nodes: row.nodes,
    })
}

async fn check_nodes(pool: &PgPool, org: Uuid, nodes: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
    if nodes.len() > 100 {
        return Err(AppError::invalid("nodes", "At most 100 nodes."));
    }
    if !dir::foreign_nodes(pool, org, nodes).await?.is_empty() {
        return Err(AppError::invalid(
            "nodes",
            "Every node must be a node of the asset's org.",
        ));
    }
    if nodes.is_empty() {
        let root = estate::root_of(pool, org)
            .await?
            .ok_or_else(|| AppError::not_found("Record"))?;
        return Ok(vec![root]);
    }
    Ok(nodes.to_vec())
}

pub async fn create_asset(pool: &PgPool, v: &Viewer, body: NewAsset) -> Result<AssetDto, AppError> {
    browse(pool, v, body.org_id).await?;
    require_admin(v, body.org_id)?;
    let n = name("name", &body.name, 128)?;
    let addr = address("address", &body.address)?;
    let plat = platform("platform", &body.platform)?;
    let nodes = check_nodes(pool, body.org_id, &body.nodes).await?;
    let mut tx = pool.begin().await?;
    let id = dir::insert_asset(&mut *tx, body.org_id, &n, &addr, &plat).await?;
    for node in nodes {
        dir::place_asset(&mut *tx, id, node).await?;
    }
    tx.commit().await?;
    get_asset(pool, v, id).await
}

pub async fn patch_asset(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    body: AssetPatch,
) -> Result<AssetDto, AppError> {
    let before = get_asset(pool, v, id).await?;
    require_admin(v, before.org_id)?;
    let n = body
        .name
        .as_deref()
        .map(|s| name("name", s, 128))
        .transpose()?;
    let addr = body
        .address
        .as_deref()
        .map(|s| address("address", s))
        .transpose()?;
    let plat = body
        .platform
        .as_deref()
        .map(|s| platform("platform", s))
        .transpose()?;
    let nodes = match &body.nodes {
        Some(ns) => Some(check_nodes(pool, before.org_id, ns).await?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    estate::update_asset(&mut *tx, id, n.as_deref(), addr.as_deref(), plat.as_deref()).await?;
    if let Some(ns) = nodes {
        estate::unplace_asset(&mut *tx, id).await?;
        for node in ns {
            dir::place_asset(&mut *tx, id, node).await?;
        }
    }
    tx.commit().await?;
    get_asset(pool, v, id).await
}

/// Deletes an asset and its accounts. Grants that named it keep its id and show it as
/// "(deleted asset)"; tickets keep their history.
pub async fn delete_asset(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    let a = get_asset(pool, v, id).await?;
    require_admin(v, a.org_id)?;
    estate::delete_asset(pool, id).await?;
    Ok(())
}

/// Assets filtered by platform too (the read endpoint has name and node).
pub fn filter_platform(items: Vec<AssetDto>, platform: Option<&str>) -> Vec<AssetDto> {
    match platform.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => items
            .into_iter()
            .filter(|a| a.platform.eq_ignore_ascii_case(p))
            .collect(),
        None => items,
    }
}

// ---- accounts ----

pub async fn get_account(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<AccountDto, AppError> {
    let Some(row) = estate::account(pool, id).await? else {
        return Err(AppError::not_found("Account"));
    };
    if !dir::may_browse_org(pool, v, row.org_id).await? {
        return Err(AppError::not_found("Account"));
    }
    Ok(AccountDto {
        id: row.id,
        asset_id: row.asset_id,
        name: row.name,
        username: row.username,
    })
}

pub async fn create_account(
    pool: &PgPool,
    v: &Viewer,
    body: NewAccount,
) -> Result<AccountDto, AppError> {
    let org = estate::asset_org(pool, body.asset_id).await?;
    let org = match org {
        Some(o) if dir::may_browse_org(pool, v, o).await? => o,
        _ => return Err(AppError::invalid("asset_id", "No such asset.")),
    };
    require_admin(v, org)?;
    let n = account_name("name", &body.name)?;
    // The login name defaults to the account's name (`root` logs in as root).
    let user = if body.username.trim().is_empty() {
        login("username", &n)?
    } else {
        login("username", &body.username)?
    };
    let id = dir::insert_account(pool, body.asset_id, &n, &user).await?;
    get_account(pool, v, id).await
}

pub async fn patch_account(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    body: AccountPatch,
) -> Result<AccountDto, AppError> {
    let a = get_account(pool, v, id).await?;
    let org = estate::asset_org(pool, a.asset_id)
        .await?
        .unwrap_or_default();
    require_admin(v, org)?;
    let n = body
        .name
        .as_deref()
        .map(|s| account_name("name", s))
        .transpose()?;
    let user = body
        .username
        .as_deref()
        .map(|s| login("username", s))
        .transpose()?;
    estate::update_account(pool, id, n.as_deref(), user.as_deref()).await?;
    get_account(pool, v, id).await
}

pub async fn delete_account(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    let a = get_account(pool, v, id).await?;
    let org = estate::asset_org(pool, a.asset_id)
        .await?
        .unwrap_or_default();
    require_admin(v, org)?;
    estate::delete_account(pool, id).await?;
    Ok(())
}
