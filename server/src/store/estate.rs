//! An org's estate as the administration changes it: the node tree, assets (and where they
//! are placed) and their accounts. Reading it for the pickers and adding to it in bulk:
//! `directory` (which also adds nodes, assets and accounts). A name in use (the unique indexes below) is a 409 on `name`.

use sqlx::PgExecutor;
use tollgate_app::AppError;
use uuid::Uuid;

use super::errors::{taken, ResultExt};

use super::directory::{ACCOUNT_NAME_KEY, ASSET_NAME_KEY, NODE_NAME_KEY};

// ---- nodes ----

/// The org of a node and its parent (None: the root).
pub async fn node_place(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<(Uuid, Option<Uuid>)>, AppError> {
    Ok(
        sqlx::query_as("SELECT org_id, parent_id FROM nodes WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The org's root node.
pub async fn root_of(db: impl PgExecutor<'_>, org: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM nodes WHERE org_id = $1 AND parent_id IS NULL")
            .bind(org)
            .fetch_optional(db)
            .await?,
    )
}

/// Where node `id` would move to: the org of node `parent` and whether `parent` is `id` or
/// below it. Locks `parent` until the transaction ends, so it cannot move meanwhile.
pub async fn new_parent(
    db: impl PgExecutor<'_>,
    id: Uuid,
    parent: Uuid,
) -> Result<Option<(Uuid, bool)>, AppError> {
    Ok(sqlx::query_as(
        "WITH RECURSIVE below AS (
                SELECT id FROM nodes WHERE id = $1
                UNION ALL SELECT n.id FROM nodes n JOIN below ON n.parent_id = below.id)
             SELECT org_id, id IN (SELECT id FROM below) FROM nodes WHERE id = $2 FOR UPDATE",
    )
    .bind(id)
    .bind(parent)
    .fetch_optional(db)
    .await?)
}

/// Moves node `id` (named `name`) under `parent`; a child of `parent` with its name is a 409.
pub async fn move_node(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    parent: Uuid,
) -> Result<(), AppError> {
    sqlx::query("UPDATE nodes SET parent_id = $2 WHERE id = $1")
        .bind(id)
        .bind(parent)
        .execute(db)
        .await
        .on_constraint(NODE_NAME_KEY, |_| taken("A node named", name, "name"))?;
    Ok(())
}

pub async fn rename_node(db: impl PgExecutor<'_>, id: Uuid, name: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE nodes SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(db)
        .await
        .on_constraint(NODE_NAME_KEY, |_| taken("A node named", name, "name"))?;
    Ok(())
}

/// Renames the org's root node (it carries the org's name).
pub async fn rename_root(db: impl PgExecutor<'_>, org: Uuid, name: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE nodes SET name = $2 WHERE org_id = $1 AND parent_id IS NULL")
        .bind(org)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn child_count(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM nodes WHERE parent_id = $1")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

pub async fn delete_node(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM nodes WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes every node of the org, children first (a node's parent may not go while it has
/// children).
pub async fn delete_tree(db: &mut sqlx::PgConnection, org: Uuid) -> Result<(), AppError> {
    loop {
        let n = sqlx::query(
            "DELETE FROM nodes WHERE org_id = $1 AND NOT EXISTS (SELECT 1 FROM nodes c WHERE c.parent_id = nodes.id)",
        )
        .bind(org)
        .execute(&mut *db)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(());
        }
    }
}

// ---- assets ----

pub async fn asset_org(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT org_id FROM assets WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// An asset and the nodes it is placed under.
#[derive(Debug, Clone)]
pub struct AssetRow {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub platform: String,
    pub nodes: Vec<Uuid>,
}

/// The asset (it must exist: a missing one is a 404 "Record not found").
pub async fn asset(db: impl PgExecutor<'_>, id: Uuid) -> Result<AssetRow, AppError> {
    let (id, name, address, platform, nodes): (Uuid, String, String, String, Vec<Uuid>) =
        sqlx::query_as(
        "SELECT a.id, a.name, a.address, a.platform,
                ARRAY(SELECT node_id FROM asset_nodes WHERE asset_id = a.id) FROM assets a WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(AssetRow {
        id,
        name,
        address,
        platform,
        nodes,
    })
}

/// Changes what is given of an asset's name, address and platform.
pub async fn update_asset(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: Option<&str>,
    address: Option<&str>,
    platform: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE assets SET name = COALESCE($2, name), address = COALESCE($3, address), platform = COALESCE($4, platform) WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(address)
    .bind(platform)
    .execute(db)
    .await
    .on_constraint(ASSET_NAME_KEY, |_| {
        taken("Asset", name.unwrap_or(""), "name")
    })?;
    Ok(())
}

/// Takes the asset from every node it is placed under (to place it again).
pub async fn unplace_asset(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM asset_nodes WHERE asset_id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the asset and its accounts.
pub async fn delete_asset(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM assets WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

// ---- accounts ----

/// An account and the org of its asset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub name: String,
    pub username: String,
    pub org_id: Uuid,
}

pub async fn account(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<AccountRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT ac.id, ac.asset_id, ac.name, ac.username, a.org_id FROM accounts ac
         JOIN assets a ON a.id = ac.asset_id WHERE ac.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Changes what is given of an account's name and login name.
pub async fn update_account(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: Option<&str>,
    username: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE accounts SET name = COALESCE($2, name), username = COALESCE($3, username) WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(username)
    .execute(db)
    .await
    .on_constraint(ACCOUNT_NAME_KEY, |_| {
        taken("Account", name.unwrap_or(""), "name")
    })?;
    Ok(())
}

pub async fn delete_account(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

// ---- the whole estate of an org (what an import starts from) ----

/// The org's assets: (id, name, address, platform).
pub async fn assets_of_org(
    db: impl PgExecutor<'_>,
    org: Uuid,
) -> Result<Vec<(Uuid, String, String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name, address, platform FROM assets WHERE org_id = $1")
            .bind(org)
            .fetch_all(db)
            .await?,
    )
}

/// The accounts of the org's assets: (asset id, name, login name).
pub async fn accounts_of_org(
    db: impl PgExecutor<'_>,
    org: Uuid,
) -> Result<Vec<(Uuid, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT ac.asset_id, ac.name, ac.username FROM accounts ac JOIN assets a ON a.id = ac.asset_id WHERE a.org_id = $1",
    )
    .bind(org)
    .fetch_all(db)
    .await?)
}

/// Where the org's assets are placed: (asset id, node id).
pub async fn placements_of_org(
    db: impl PgExecutor<'_>,
    org: Uuid,
) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT an.asset_id, an.node_id FROM asset_nodes an JOIN assets a ON a.id = an.asset_id WHERE a.org_id = $1",
    )
    .bind(org)
    .fetch_all(db)
    .await?)
}
