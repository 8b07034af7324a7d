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
