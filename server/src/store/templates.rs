//! Request templates (core/src/template.rs).

use sqlx::PgExecutor;
use tollgate_app::dto::TemplateDto;
use tollgate_app::AppError;
use tollgate_core::template::TemplateForm;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    name: String,
    nodes: Vec<Uuid>,
    assets: Vec<Uuid>,
    asset_names: Vec<String>,
    accounts: Vec<String>,
    actions: Vec<String>,
    period_days: i32,
    reason_hint: String,
}

/// The templates of `org`, by name.
pub async fn of_org(db: impl PgExecutor<'_>, org: Uuid) -> Result<Vec<TemplateDto>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.org_id, t.name, t.nodes, t.assets,
                ARRAY(SELECT COALESCE(a.name, '(deleted asset)')
                      FROM unnest(t.assets) WITH ORDINALITY x(id, i)
                      LEFT JOIN assets a ON a.id = x.id ORDER BY x.i) AS asset_names,
                t.accounts, t.actions, t.period_days, t.reason_hint
         FROM request_templates t WHERE t.org_id = $1 ORDER BY lower(t.name)",
    )
    .bind(org)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TemplateDto {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            nodes: r.nodes,
            assets: super::named(r.assets, r.asset_names),
            accounts: r.accounts,
            actions: r.actions,
            period_days: u16::try_from(r.period_days).unwrap_or(1),
            reason_hint: r.reason_hint,
        })
        .collect())
}

/// Saves a checked template; false when `org` has one of that name already.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    org: Uuid,
    t: &TemplateForm,
    by: Uuid,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "INSERT INTO request_templates (id, org_id, name, nodes, assets, accounts, actions,
           period_days, reason_hint, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (org_id, lower(name)) DO NOTHING",
    )
    .bind(id)
    .bind(org)
    .bind(&t.name)
    .bind(&t.nodes)
    .bind(&t.assets)
    .bind(&t.accounts)
    .bind(&t.actions)
    .bind(i32::from(t.period_days))
    .bind(&t.reason_hint)
    .bind(by)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Removes template `id` of `org`; false when there is none.
pub async fn delete(db: impl PgExecutor<'_>, org: Uuid, id: Uuid) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM request_templates WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}
